using AgentSandbox.Docker;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>What a container does when the fake engine runs it: its output, its exit code, and whatever it does to the workspace.</summary>
/// <param name="Effect">What the container does to its workspace, given the folder that holds it (the mounted tree, or the copy it got).</param>
internal sealed record ContainerScript(long ExitCode, IReadOnlyList<string> Stdout, IReadOnlyList<string>? Stderr = null, Action<string>? Effect = null, bool OutOfMemory = false);

/// <summary>
/// An engine in memory that records every request and answers from a script: which images and networks exist, what
/// a build prints, and what each container prints and does (for the agent's container, edits in the workspace). The
/// unit tests of the image step, the run pipeline and the AgentFix loop run against it; no Docker is needed.
/// </summary>
internal sealed class FakeEngine : IImageEngine, IContainerEngine
{
    private readonly Queue<Func<ContainerRequest, ContainerScript>> _containers = new();

    /// <summary>Every call in order: "inspect IMAGE", "pull IMAGE", "build TAG", "network NAME", "run PURPOSE".</summary>
    public List<string> Calls { get; } = [];

    public HashSet<string> Images { get; } = new(StringComparer.Ordinal);

    /// <summary>An image's ID when set here (a base rebuilt under the same name), else one made from its name.</summary>
    public Dictionary<string, string> ImageIds { get; } = new(StringComparer.Ordinal);

    public string IdOf(string image) => ImageIds.TryGetValue(image, out var id) ? id : $"sha256:{image}";
    public HashSet<string> Networks { get; } = new(StringComparer.Ordinal);

    /// <summary>Containers, networks and images the engine holds with labels (what a sweep or a clean looks at).</summary>
    public List<EngineResource> Resources { get; } = [];
    public List<ImageBuildRequest> Builds { get; } = [];
    public List<ContainerRequest> Containers { get; } = [];

    /// <summary>What a pull answers: null for success (the image then exists), else the engine's reason.</summary>
    public Func<string, string?> Pull { get; set; } = _ => "pull access denied";

    /// <summary>What an image build streams; by default one step, and the image exists afterwards.</summary>
    public Func<ImageBuildRequest, IReadOnlyList<EngineProgress>> Build { get; set; } = request =>
        [new EngineProgress($"Step 1/1 : FROM base\n", null), new EngineProgress($"Successfully tagged {request.Tag}\n", null)];

    /// <summary>The next container run does this (scripts are used in the order given).</summary>
    public FakeEngine ThenRun(Func<ContainerRequest, ContainerScript> script)
    {
        _containers.Enqueue(script);
        return this;
    }

    public FakeEngine ThenRun(ContainerScript script) => ThenRun(_ => script);

    public Task<EngineImage?> InspectImageAsync(string image, CancellationToken cancellationToken)
    {
        // As an engine call would: a cancelled build asks nothing more.
        cancellationToken.ThrowIfCancellationRequested();
        Calls.Add($"inspect {image}");
        return Task.FromResult(Images.Contains(image) ? new EngineImage(IdOf(image), "amd64") : null);
    }

    public Task<IReadOnlyList<EngineResource>> ListLabelledAsync(string label, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<EngineResource>>(Resources.Where(r => r.Kind != ResourceKind.Image && r.Labels.ContainsKey(label)).ToList());

    public Task<IReadOnlyList<EngineResource>> ListImagesLabelledAsync(string label, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<EngineResource>>(Resources.Where(r => r.Kind == ResourceKind.Image && r.Labels.ContainsKey(label)).ToList());

    public Task RemoveAsync(EngineResource resource, CancellationToken cancellationToken)
    {
        Calls.Add($"remove {resource.Kind.ToString().ToLowerInvariant()} {resource.Name}");
        Resources.Remove(resource);
        return Task.CompletedTask;
    }

    public Task<string?> PullImageAsync(string image, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        Calls.Add($"pull {image}");
        var failure = Pull(image);
        if (failure is null)
        {
            Images.Add(image);
        }
        return Task.FromResult(failure);
    }

    public Task<string> PushImageAsync(string image, string target, RegistryLogin? credential, CancellationToken cancellationToken)
    {
        Calls.Add($"push {image} as {target}");
        return Task.FromResult("sha256:" + new string('0', 64));
    }

    public Task BuildImageAsync(ImageBuildRequest request, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        Calls.Add($"build {request.Tag}");
        Builds.Add(request);
        var messages = Build(request);
        foreach (var message in messages)
        {
            progress.Report(message);
        }
        if (messages.All(message => message.Error is null))
        {
            Images.Add(request.Tag);
        }
        return Task.CompletedTask;
    }

    /// <summary>The runtimes the engine reports.</summary>
    public List<string> Runtimes { get; } = ["runc"];

    public Task<IReadOnlyList<string>> RuntimesAsync(CancellationToken cancellationToken)
    {
        Calls.Add("runtimes");
        return Task.FromResult<IReadOnlyList<string>>(Runtimes);
    }

    public Task<bool> NetworkExistsAsync(string network, CancellationToken cancellationToken)
    {
        Calls.Add($"network {network}");
        return Task.FromResult(Networks.Contains(network));
    }

    public Task<ContainerExit> RunContainerAsync(
        ContainerRequest request, Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Calls.Add($"run {request.Labels["org.agentsandbox.purpose"]}");
        Containers.Add(request);
        if (!_containers.TryDequeue(out var next))
        {
            throw new InvalidOperationException($"The test scripted no run for container {request.Name}.");
        }
        var script = next(request);
        RunEffect(request, script, cancellationToken);
        foreach (var line in script.Stderr ?? [])
        {
            onStderr(line);
        }
        foreach (var line in script.Stdout)
        {
            // A stopped container prints nothing more and is killed (SIGKILL: 128 + 9).
            if (stop.IsCancellationRequested)
            {
                return Task.FromResult(new ContainerExit(137));
            }
            onStdout(line);
        }
        return Task.FromResult(new ContainerExit(stop.IsCancellationRequested ? 137L : script.ExitCode, script.OutOfMemory));
    }

    /// <summary>
    /// The effect on the workspace the container sees: the mounted host folder, or (copy mode) a scratch folder the
    /// uploaded tar is extracted to, whose tree then goes back as the engine would give it (entries under workspace/).
    /// </summary>
    private static void RunEffect(ContainerRequest request, ContainerScript script, CancellationToken cancellationToken)
    {
        if (request.Files is not { } files)
        {
            var mounted = request.Mounts.FirstOrDefault(mount => mount.Target == "/workspace")?.Source;
            if (mounted is not null)
            {
                script.Effect?.Invoke(mounted);
            }
            return;
        }
        ContainerTree.Run(files.Upload, workspace => script.Effect?.Invoke(workspace), files.Received, files.ChangedOnly);
    }
}
