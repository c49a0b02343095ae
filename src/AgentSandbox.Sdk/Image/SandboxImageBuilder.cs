using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Image;

/// <summary>
/// Makes sure the sandbox image exists: two inspects (the base's ID is part of the tag) when it does, a pull of the
/// base when the engine has none, and a build when the image is missing.
/// </summary>
internal static class SandboxImageBuilder
{
    /// <summary>How many of a step's last output lines an error shows.</summary>
    private const int StepTailLines = 20;

    /// <param name="labels">Who builds the image (package version, session, run), besides the mark that we generated it.</param>
    /// <returns>The image's tag, and the image as the engine has it.</returns>
    public static async Task<(string Tag, EngineImage Image)> EnsureAsync(
        IImageEngine engine, SandboxBuildContext context, string baseImage, ImageBuildSettings settings, IReadOnlyDictionary<string, string> labels,
        ISandboxLog log, CancellationToken cancellationToken)
    {
        var baseImageId = await EnsureBaseImageAsync(engine, baseImage, log, cancellationToken).ConfigureAwait(false);
        var tag = context.ImageTagFor(baseImageId);
        if (await engine.InspectImageAsync(tag, cancellationToken).ConfigureAwait(false) is { } present)
        {
            log.Info($"Sandbox image {tag} is up to date (base {baseImage}, {ShortId(baseImageId)}).");
            return (tag, present);
        }

        var (built, image) = await BuildOnceAsync(engine, tag, context.ToTar, settings.Network, labels, settings.ProxyArguments,
            $"Building sandbox image {tag} from {baseImage} ({ShortId(baseImageId)})...", log, cancellationToken).ConfigureAwait(false);
        if (built)
        {
            log.Important($"Built sandbox image {tag}.");
        }
        return (tag, image);
    }

    /// <summary>
    /// AgentNetwork=allowlist: the sandbox image with the egress proxy added, for the engine's architecture; built
    /// once per sandbox image and proxy (a few seconds, no network), found by its tag afterwards.
    /// </summary>
    /// <returns>The tag of the image every container of the run starts from, the proxy's included.</returns>
    /// <param name="sandbox">The sandbox image, as <see cref="EnsureAsync"/> found it: its architecture picks the proxy.</param>
    public static async Task<string> EnsureEgressAsync(
        IImageEngine engine, string sandboxTag, EngineImage sandbox, IReadOnlyDictionary<string, string> labels, ISandboxLog log, CancellationToken cancellationToken)
    {
        var proxy = EgressImage.ProxyFor(sandbox.Architecture) ?? throw Diagnostics.EgressProxyNotStarted(sandboxTag, $"this package carries the proxy for amd64 and arm64 only, and the image is {sandbox.Architecture}");
        var tag = EgressImage.TagFor(sandboxTag, proxy);
        if (await engine.InspectImageAsync(tag, cancellationToken).ConfigureAwait(false) is not null)
        {
            return tag;
        }
        await BuildOnceAsync(engine, tag, () => EgressImage.Context(sandboxTag, proxy), network: null, labels, new Dictionary<string, string>(),
            $"Adding the egress proxy to the sandbox image: {tag}...", log, cancellationToken).ConfigureAwait(false);
        return tag;
    }

    /// <summary>
    /// AgentImageRegistry: the image pushed to the registry (with the login the user's Docker configuration has for
    /// it) for a cluster whose nodes pull from there; a layer the registry has is not sent again.
    /// </summary>
    /// <returns>The image by digest in the registry (registry/agentsandbox@sha256:...): what the pods run, exactly.</returns>
    public static async Task<string> PublishAsync(IImageEngine engine, string tag, string registry, ISandboxLog log, CancellationToken cancellationToken)
    {
        var (repository, version) = DockerEngine.SplitReference(tag);
        var target = $"{registry.TrimEnd('/')}/{repository}:{version}";
        var login = RegistryLogins.For(DockerEngine.RegistryOf(target), Environment.GetEnvironmentVariable);
        log.Info($"Pushing the sandbox image to {target} ({login?.ToString() ?? "without a login"})...");
        var digest = await engine.PushImageAsync(tag, target, login, cancellationToken).ConfigureAwait(false);
        var pushed = $"{registry.TrimEnd('/')}/{repository}@{digest}";
        log.Important($"Pushed the sandbox image to {pushed}.");
        return pushed;
    }

    /// <summary>
    /// Builds an image that was missing, once however many builds need it at the same time (-m, or builds side by side):
    /// the first builds it under the image's lock while the others wait, then find it.
    /// </summary>
    /// <returns>Whether this build built it (false: another build did meanwhile), and the image.</returns>
    private static async Task<(bool Built, EngineImage Image)> BuildOnceAsync(
        IImageEngine engine, string tag, Func<Stream> context, string? network, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> arguments,
        string announcement, ISandboxLog log, CancellationToken cancellationToken)
    {
        using (await WorkspaceLock.AcquireAsync("image " + tag, "the build of " + tag, holder => log.Important($"Waiting for {holder} in another build..."), cancellationToken).ConfigureAwait(false))
        {
            if (await engine.InspectImageAsync(tag, cancellationToken).ConfigureAwait(false) is { } meanwhile)
            {
                log.Info($"Image {tag} was built meanwhile by another build.");
                return (false, meanwhile);
            }
            log.Important(announcement);
            using var tar = context();
            return (true, await BuildAsync(engine, tar, tag, network, labels, arguments, log, cancellationToken).ConfigureAwait(false));
        }
    }

    private static async Task<EngineImage> BuildAsync(
        IImageEngine engine, Stream tar, string tag, string? network, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> arguments,
        ISandboxLog log, CancellationToken cancellationToken)
    {
        var progress = new BuildProgress(log);
        await engine.BuildImageAsync(new ImageBuildRequest(
            tar,
            tag,
            SandboxBuildContext.Dockerfile,
            network,
            new Dictionary<string, string>(labels) { [RunIdentity.LabelPrefix + "generated"] = "true" },
            arguments), progress, cancellationToken).ConfigureAwait(false);

        if (progress.Error is null && await engine.InspectImageAsync(tag, cancellationToken).ConfigureAwait(false) is { } image)
        {
            return image;
        }
        var output = string.Join(Environment.NewLine, progress.StepTail.Append(progress.Error ?? "the engine reported no image"));
        throw Diagnostics.ImageStepFailed(progress.CurrentStep ?? "start of the build", output);
    }

    /// <summary>The base image's ID; pulled when the engine has no image of that name (a newer one is never pulled on its own).</summary>
    private static async Task<string> EnsureBaseImageAsync(IImageEngine engine, string baseImage, ISandboxLog log, CancellationToken cancellationToken)
    {
        if (await engine.InspectImageAsync(baseImage, cancellationToken).ConfigureAwait(false) is { } present)
        {
            return present.Id;
        }
        log.Important($"Pulling base image {baseImage}...");
        var failure = await engine.PullImageAsync(baseImage, new BuildProgress(log), cancellationToken).ConfigureAwait(false);
        return failure is null && await engine.InspectImageAsync(baseImage, cancellationToken).ConfigureAwait(false) is { } pulled
            ? pulled.Id
            : throw Diagnostics.BaseImageUnavailable(baseImage, failure ?? "the pull finished without the image");
    }

    /// <summary>"sha256:0123456789ab", as docker images shows IDs.</summary>
    private static string ShortId(string id) => id.Length > 19 ? id[..19] : id;

    /// <summary>
    /// Follows the engine's build and pull streams: "Step N/M : ..." lines are shown at minimal verbosity, each
    /// step's output in a normal log, and the current step's last lines are kept for the error when a step fails.
    /// Called synchronously (not through Progress&lt;T&gt;'s thread pool) so that lines stay in order and none
    /// arrives after the task has returned.
    /// </summary>
    private sealed class BuildProgress(ISandboxLog log) : IProgress<EngineProgress>
    {
        private readonly Queue<string> _tail = new();

        public string? CurrentStep { get; private set; }
        public string? Error { get; private set; }
        public IEnumerable<string> StepTail => _tail;

        public void Report(EngineProgress value)
        {
            if (value.Error is { Length: > 0 } error)
            {
                Error = error.Trim();
                return;
            }
            foreach (var line in (value.Text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
            {
                if (line.StartsWith("Step ", StringComparison.Ordinal))
                {
                    CurrentStep = line.Length > 160 ? line[..160] + "…" : line;
                    _tail.Clear();
                    log.Important(CurrentStep);
                    continue;
                }
                _tail.Enqueue(line);
                if (_tail.Count > StepTailLines)
                {
                    _tail.Dequeue();
                }
                log.Info(line);
            }
        }
    }
}
