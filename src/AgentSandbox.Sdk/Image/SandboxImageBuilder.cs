using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using Docker.DotNet.Models;

namespace AgentSandbox.Image;

/// <summary>Makes sure the sandbox image exists: one inspect when it does, a pull of the base and a build when not.</summary>
public static class SandboxImageBuilder
{
    /// <summary>How many of a step's last output lines an error shows.</summary>
    private const int StepTailLines = 20;

    /// <summary>AgentBuildNetwork values; "default" leaves RUN steps on the engine's default build network.</summary>
    public static readonly IReadOnlyList<string> BuildNetworks = ["default", "bridge", "host", "none"];

    /// <returns>True when the image was built, false when it already existed.</returns>
    public static async Task<bool> EnsureAsync(
        DockerEngine engine, SandboxBuildContext context, string baseImage, string? buildNetwork, ISandboxLog log, CancellationToken cancellationToken)
    {
        var network = ParseBuildNetwork(buildNetwork);
        if (await engine.ImageExistsAsync(context.ImageTag, cancellationToken).ConfigureAwait(false))
        {
            log.Info($"Sandbox image {context.ImageTag} is up to date.");
            return false;
        }

        await EnsureBaseImageAsync(engine, baseImage, log, cancellationToken).ConfigureAwait(false);

        log.Important($"Building sandbox image {context.ImageTag} from {baseImage}...");
        var progress = new BuildProgress(log);
        using var tar = context.ToTar();
        await engine.BuildImageAsync(tar, new ImageBuildParameters
        {
            Tags = [context.ImageTag],
            Dockerfile = SandboxBuildContext.Dockerfile,
            NetworkMode = network == "default" ? null : network,
            Remove = true,
            ForceRemove = true,
            Labels = new Dictionary<string, string> { ["org.agentsandbox.generated"] = "true" },
            BuildArgs = ProxyVariables.FromHost(),
        }, progress, cancellationToken).ConfigureAwait(false);

        if (progress.Error is not null || !await engine.ImageExistsAsync(context.ImageTag, cancellationToken).ConfigureAwait(false))
        {
            var output = string.Join(Environment.NewLine, progress.StepTail.Append(progress.Error ?? "the engine reported no image"));
            throw Diagnostics.ImageStepFailed(progress.CurrentStep ?? "start of the build", output);
        }
        log.Important($"Built sandbox image {context.ImageTag}.");
        return true;
    }

    public static string ParseBuildNetwork(string? value)
    {
        var network = string.IsNullOrWhiteSpace(value) ? "default" : value.Trim().ToLowerInvariant();
        return BuildNetworks.Contains(network) ? network : throw Diagnostics.UnknownValue("AgentBuildNetwork", value!.Trim(), BuildNetworks);
    }

    private static async Task EnsureBaseImageAsync(DockerEngine engine, string baseImage, ISandboxLog log, CancellationToken cancellationToken)
    {
        if (await engine.ImageExistsAsync(baseImage, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        log.Important($"Pulling base image {baseImage}...");
        var failure = await engine.PullImageAsync(baseImage, new BuildProgress(log), cancellationToken).ConfigureAwait(false);
        if (failure is not null || !await engine.ImageExistsAsync(baseImage, cancellationToken).ConfigureAwait(false))
        {
            throw Diagnostics.BaseImageUnavailable(baseImage, failure ?? "the pull finished without the image");
        }
    }

    /// <summary>
    /// Follows the engine's build and pull streams: "Step N/M : ..." lines are shown at minimal verbosity, each
    /// step's output in a normal log, and the current step's last lines are kept for the error when a step fails.
    /// Called synchronously (not through Progress&lt;T&gt;'s thread pool) so that lines stay in order and none
    /// arrives after the task has returned.
    /// </summary>
    private sealed class BuildProgress(ISandboxLog log) : IProgress<JSONMessage>
    {
        private readonly Queue<string> _tail = new();

        public string? CurrentStep { get; private set; }
        public string? Error { get; private set; }
        public IEnumerable<string> StepTail => _tail;

        public void Report(JSONMessage value)
        {
            if (value.Error?.Message is { Length: > 0 } error)
            {
                Error = error.Trim();
                return;
            }
            foreach (var line in (value.Stream ?? value.Status ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
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
