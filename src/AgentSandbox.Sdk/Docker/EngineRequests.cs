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

    /// <summary>
    /// The container's only way out, when it has one: <see cref="Network"/> is then a network the engine makes for
    /// this container alone, with no route anywhere, and the gateway beside it is the one member that reaches further.
    /// </summary>
    public EgressGateway? Egress { get; init; }

    /// <summary>The gateway's own container (a pod on a cluster): the request's name with -egress.</summary>
    public string GatewayName => Name + "-egress";

    /// <summary>The variables of <see cref="Environment"/> whose values are fixed settings of ours, not secrets: a dry run shows these values.</summary>
    public IReadOnlySet<string> Settings { get; init; } = new HashSet<string>();

    /// <summary>Written to the container's standard input once it has started, which then ends; null for none. May be long (a prompt).</summary>
    public string? Stdin { get; init; }

    /// <summary>Folders kept between runs (a package cache), each made by the engine on first use with its labels.</summary>
    public IReadOnlyList<ContainerCache> Caches { get; init; } = [];

    /// <summary>Folders in memory, size-limited (/tmp, and the home folder when the root file system is read-only).</summary>
    public IReadOnlyList<ScratchFolder> Scratch { get; init; } = [];

    /// <summary>
    /// The root file system is read-only: the container writes only to its mounts and <see cref="Scratch"/>, and the
    /// folder <see cref="Files"/> go to is in memory or a volume of the container's own.
    /// </summary>
    public bool ReadOnlyRootFilesystem { get; init; }

    /// <summary>Names only: a request may hold secrets and must never be logged whole.</summary>
    public override string ToString() => $"{Name} ({Image}: {Command[0]}, environment {string.Join(", ", Environment.Keys)})";
}

/// <summary>
/// Files a container gets and gives back through the engine, not through a shared host path: the only way there is
/// to a remote engine or a cluster. The container is held open around its command: <see cref="Upload"/> is extracted
/// in it (as <see cref="Owner"/>, with the container's own tar) before the command starts, and <see cref="Folder"/>
/// comes back as a tar stream after the command and everything it started have ended, before the container goes.
/// </summary>
/// <param name="Upload">Opens the tar to extract at the container's root (entries such as workspace/src/a.cs, all in <see cref="Folder"/>).</param>
/// <param name="Folder">The one folder the upload's entries are in (/workspace).</param>
/// <param name="Owner">The user the files belong to and the command runs as; no other process of the container runs as it.</param>
/// <param name="MemoryBytes">The folder in memory (a tmpfs of this size, counted against the container's memory); null for on disk.</param>
/// <param name="Received">Reads what comes back (entries named after the folder: workspace/...), once, before the container is removed; null to give nothing back.</param>
internal sealed record ContainerFiles(Func<Stream> Upload, string Folder, Project.HostUser Owner, long? MemoryBytes = null, Func<Stream, CancellationToken, Task>? Received = null)
{
    /// <summary>What comes back is a listing of the whole folder and only the entries that changed in the container (<see cref="HeldContainer.CopyOut"/>).</summary>
    public bool ChangedOnly { get; init; }
}

/// <summary>A folder in memory (tmpfs): its size counts against the container's memory.</summary>
/// <param name="Owner">The user its root belongs to, or null for a folder every user may write to (mode 1777, as /tmp).</param>
internal sealed record ScratchFolder(string Path, long Bytes, Project.HostUser? Owner = null)
{
    /// <summary>Mount options: exec, as builds run what they compile there; never setuid or devices.</summary>
    public string Options => FormattableString.Invariant($"rw,exec,nosuid,nodev,size={Bytes},") +
        (Owner is { } owner ? FormattableString.Invariant($"uid={owner.Uid},gid={owner.Gid},mode=0700") : "mode=1777");
}

/// <summary>
/// A container that is an isolated network's way out (AgentNetwork=allowlist's egress proxy): started before the
/// container it serves, given <see cref="Configuration"/> on its standard input (never in its configuration, where
/// anyone who may inspect containers would read the credentials in it), and stopped and removed with it.
/// </summary>
/// <param name="Image">The gateway's image (the sandbox image with the proxy added).</param>
/// <param name="Command">Its argument vector.</param>
/// <param name="Configuration">One line for its standard input; may hold secrets.</param>
/// <param name="Alias">Its name on the isolated network.</param>
/// <param name="OutsideNetwork">The network through which it reaches out (AgentEgressNetwork).</param>
/// <param name="OnOutput">Each line it prints, as it prints it.</param>
/// <param name="IsReady">The line that says it is serving: the container it serves starts only then.</param>
/// <param name="ConfigurationByName">The configuration for reading (AgentDryRun): secrets by name only.</param>
internal sealed record EgressGateway(
    string Image,
    IReadOnlyList<string> Command,
    string Configuration,
    string Alias,
    string OutsideNetwork,
    Action<string> OnOutput,
    Func<string, bool> IsReady,
    string ConfigurationByName)
{
    /// <summary>How long the gateway may take to say it is ready before the run fails.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The container's variables with the gateway's name, where they name it (a URL's host: its proxy URL, base URLs;
    /// an entry of a list: NO_PROXY), replaced by the address the container reaches it at; the rest as they are.
    /// </summary>
    public IReadOnlyDictionary<string, string> Addressed(IReadOnlyDictionary<string, string> environment, string address) =>
        environment.ToDictionary(variable => variable.Key, variable => variable.Value.Split(',') is var entries && entries.Contains(Alias, StringComparer.Ordinal)
            ? string.Join(',', entries.Select(entry => entry == Alias ? address : entry).Distinct(StringComparer.Ordinal))
            : variable.Value.Replace($"://{Alias}:", $"://{address}:", StringComparison.Ordinal));

    /// <summary>Credentials the gateway reads from a Secret of the cluster, which its pod alone mounts; null for none.</summary>
    public SecretKeys? ClusterKeys { get; init; }

    /// <summary>No configuration: it holds credentials.</summary>
    public override string ToString() => $"{Alias} ({Image}: {Command[0]}, reaching out through {OutsideNetwork})";
}

/// <summary>
/// Keys of a Secret of the cluster (AgentKubernetesSecret), each a file named as the key in <paramref name="Folder"/> of
/// the egress proxy's pod only. Only a cluster has them: the inputs refuse them on a Docker engine.
/// </summary>
internal sealed record SecretKeys(string Secret, IReadOnlyList<string> Keys, string Folder)
{
    /// <summary>The file that holds <paramref name="key"/>; null when it is not one of these.</summary>
    public string? File(string key) => Keys.Contains(key) ? $"{Folder}/{key}" : null;
}

/// <summary>
/// A folder that outlives the container: the engine's named volume (a cluster's persistent volume claim), made on
/// first use, starting as the image has <paramref name="Target"/> (its owner, so the sandbox user may write to it).
/// </summary>
/// <param name="Labels">What finds it again: AgentSandboxClean removes it.</param>
internal sealed record ContainerCache(string Name, string Target, IReadOnlyDictionary<string, string> Labels);

/// <summary>A host directory (or an engine's volume) in the container.</summary>
internal sealed record ContainerMount(string Source, string Target, bool ReadOnly)
{
    /// <summary><see cref="Source"/> names a volume of the engine's, not a host directory.</summary>
    public bool Volume { get; init; }

    /// <summary>The engine's word for the kind of mount.</summary>
    public string Type => Volume ? "volume" : "bind";
}

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

/// <summary>A registry's login, as the user's Docker configuration has it: a user and password, or an identity token.</summary>
internal sealed record RegistryLogin(string? Username, string? Password, string? IdentityToken)
{
    /// <summary>No secret: it is logged by name only.</summary>
    public override string ToString() => Username is null ? "an identity token" : $"user {Username}";
}

/// <summary>An image the engine has: its ID (its content's digest) and its CPU architecture as the engine names it (amd64, arm64).</summary>
internal sealed record EngineImage(string Id, string Architecture);

/// <summary>One message of an engine's build or pull stream: a line of output, or the error that ended it.</summary>
internal sealed record EngineProgress(string? Text, string? Error);

internal enum ResourceKind
{
    Container,
    Network,
    Volume,
    Image,

    /// <summary>A cluster's Secret that carries a pod's credentials.</summary>
    Secret,
}

/// <summary>Something an engine holds for us: a container, a network or an image, and its labels.</summary>
internal sealed record EngineResource(ResourceKind Kind, string Id, string Name, IReadOnlyDictionary<string, string> Labels);

/// <summary>How a container ended: its exit code, and whether the engine killed it for going over its memory limit.</summary>
internal sealed record ContainerExit(long Code, bool OutOfMemory = false)
{
    /// <summary>Where it ran, when that is worth saying (a cluster's pod and node); null on a single engine.</summary>
    public ContainerPlacement? Placement { get; init; }
}

/// <summary>A cluster's pod that ran a container: its namespace, its name and its node.</summary>
internal sealed record ContainerPlacement(string Namespace, string Pod, string? Node)
{
    public override string ToString() => $"pod {Namespace}/{Pod} on node {Node ?? "unknown"}";
}
