namespace AgentSandbox.Docker;

/// <summary>A container to run: an argument vector in an image, with the workspace mounted and every privilege dropped.</summary>
/// <param name="Name">Unique per container: engines refuse a second container of the same name.</param>
/// <param name="Command">Executable first; it never goes through a shell.</param>
/// <param name="Environment">The container's variables. Values may be secrets: this request goes to the engine and nowhere else.</param>
/// <param name="Network">bridge, host, none or the name of an existing network.</param>
/// <param name="Labels">What finds the container again (package version, session, run).</param>
internal sealed record ContainerRequest(
    string Name,
    string Image,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    IReadOnlyList<ContainerMount> Mounts,
    string Network,
    IReadOnlyDictionary<string, string> Labels,
    ContainerLimits Limits)
{
    /// <summary>The container runtime (runsc for gVisor); null for the engine's default.</summary>
    public string? Runtime { get; init; }

    /// <summary>Files copied in before the container starts and out after it ends, through the engine; null when it only has mounts.</summary>
    public ContainerFiles? Files { get; init; }

    /// <summary>Names only: a request may hold secrets and must never be logged whole.</summary>
    public override string ToString() => $"{Name} ({Image}: {Command[0]}, environment {string.Join(", ", Environment.Keys)})";
}

/// <summary>
/// Files a container gets and gives back through the engine, not through a shared host path: the only way there is
/// to a remote engine or a cluster. The engine extracts <see cref="Upload"/> at the container's root before it starts
/// and, after it ended, hands the folder <see cref="Download"/> back as a tar stream.
/// </summary>
/// <param name="Upload">Opens the tar to extract at the container's root (entries such as workspace/src/a.cs).</param>
/// <param name="Download">A folder in the container to give back, or null for none.</param>
/// <param name="Received">Reads what came back (entries named after the folder: workspace/...); called once, before the container is removed.</param>
internal sealed record ContainerFiles(Func<Stream> Upload, string? Download = null, Func<Stream, CancellationToken, Task>? Received = null);

/// <summary>A host directory in the container.</summary>
internal sealed record ContainerMount(string Source, string Target, bool ReadOnly);

/// <summary>What the container may not do or use.</summary>
/// <param name="DropAllCapabilities">No Linux capabilities at all.</param>
/// <param name="NoNewPrivileges">No setuid or file capabilities can raise a process's privileges.</param>
/// <param name="PidsLimit">The most processes at once: a fork bomb stops there.</param>
/// <param name="Init">An init process that reaps zombies and passes signals on.</param>
/// <param name="MemoryBytes">The most memory, swap included (none beyond it); null for no limit.</param>
/// <param name="Cpus">The most CPUs, fractions allowed; null for no limit.</param>
internal sealed record ContainerLimits(bool DropAllCapabilities, bool NoNewPrivileges, long PidsLimit, bool Init, long? MemoryBytes = null, double? Cpus = null);

/// <summary>An image to build from a build context.</summary>
/// <param name="Context">The build context as a tar stream.</param>
/// <param name="Network">The network of RUN steps; null for the engine's default.</param>
/// <param name="BuildArguments">Build arguments (the host's proxy settings, which stay out of the image history).</param>
internal sealed record ImageBuildRequest(
    Stream Context,
    string Tag,
    string Dockerfile,
    string? Network,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> BuildArguments);

/// <summary>One message of an engine's build or pull stream: a line of output, or the error that ended it.</summary>
internal sealed record EngineProgress(string? Text, string? Error);
