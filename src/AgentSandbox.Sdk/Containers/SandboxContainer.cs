using AgentSandbox.Common;
using AgentSandbox.Docker;
using AgentSandbox.Egress;
using AgentSandbox.Image;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Containers;

/// <summary>
/// The one shape of every container AgentSandbox starts (the agent's, and the builds that verify its work):
/// no privileges, an init process, a pids limit, labels that find it again, and the project at the workspace path.
/// </summary>
internal static class SandboxContainer
{
    /// <summary>Editing files and running builds need no privileges; the container gets none.</summary>
    public static readonly ContainerLimits Limits = new(DropAllCapabilities: true, NoNewPrivileges: true, PidsLimit: 4096, Init: true);

    /// <param name="purpose">What the container is for ("agent", "build", "test"): part of its name and a label.</param>
    /// <param name="gitEntries">The .git entries in the workspace, relative; null to look for the root's only.</param>
    /// <param name="copy">Copy mode: the tree copied in instead of any mount.</param>
    /// <param name="collect">Copy mode: the container's tree is taken back when it ends (the agent's container, unless it only reads).</param>
    /// <param name="egress">AgentNetwork=allowlist: where the proxy's decisions go; the agent's container's proxy also adds its credentials.</param>
    public static ContainerRequest Create(
        AgentRunSpec spec, string imageTag, string purpose, IReadOnlyList<string> command, ContainerEnvironment environment, bool readOnlyWorkspace,
        string? workingDirectory = null, IReadOnlyCollection<string>? gitEntries = null, WorkspaceCopy? copy = null, bool collect = false,
        EgressRecord? egress = null, bool agentCredentials = false, string? stdin = null)
    {
        var name = $"agentsandbox-{spec.TargetName.ToLowerInvariant()}-{purpose}-{Guid.NewGuid():N}";
        return new ContainerRequest(
            Name: name,
            Image: imageTag,
            Command: command,
            Environment: environment.Variables,
            WorkingDirectory: workingDirectory ?? spec.WorkingDirectory,
            Mounts: [.. copy is null ? Mounts(spec.WorkspaceRoot, readOnlyWorkspace, gitEntries) : [],
                .. spec.ExtraMounts.Select(mount => new ContainerMount(mount.Source, mount.Target, mount.ReadOnly))],
            // With the allowlist, a network of the container's own, made with it, with the proxy as its only way out.
            Network: spec.Egress is null ? spec.Network : name + "-net",
            Labels: new Dictionary<string, string>(spec.Identity.Labels)
            {
                [RunIdentity.LabelPrefix + "target"] = spec.TargetName,
                [RunIdentity.LabelPrefix + "project"] = spec.ProjectDirectory,
                [RunIdentity.LabelPrefix + "purpose"] = purpose,
            },
            Limits: Limits with { MemoryBytes = spec.Limits.MemoryBytes, Cpus = spec.Limits.Cpus })
        {
            Runtime = spec.Runtime,
            Settings = environment.SettingNames,
            Stdin = stdin,
            Caches = [.. spec.PackageCacheVolume is { } volume ? [Kept(spec, volume, SandboxPaths.PackageCache, "nuget")] : (ContainerCache[])[],
                // The agent's own container only: builds have no business with its conversations.
                .. agentCredentials && spec.Sessions is { } sessions ? [Kept(spec, sessions.Volume, sessions.Folder, "session")] : (ContainerCache[])[]],
            Scratch = [new ScratchFolder("/tmp", spec.Limits.TmpBytes),
                // A read-only root leaves the agent its home (its CLI's settings and caches) in memory, as its own.
                .. spec.ReadOnlyRootFilesystem
                    ? [new ScratchFolder(spec.User.IsRoot ? "/root" : DockerfileGenerator.AgentHome, spec.Limits.TmpBytes, spec.User)]
                    : (ScratchFolder[])[]],
            ReadOnlyRootFilesystem = spec.ReadOnlyRootFilesystem,
            Files = copy is null ? null
                : new ContainerFiles(copy.OpenTree, SandboxPaths.Workspace, spec.User, spec.Limits.WorkspaceInMemory(copy.TreeBytes), collect ? copy.AdoptAsync : null)
                {
                    ChangedOnly = copy.ChangedOnly,
                },
            Egress = spec.Egress is { } policy ? new EgressGateway(
                imageTag,
                [EgressImage.ProxyPath],
                policy.Configuration(withCredentials: agentCredentials).ToJson(),
                EgressPolicy.ProxyName,
                policy.EgressNetwork,
                (egress ?? new EgressRecord()).Observe,
                line => EgressEvent.TryParse(line)?.Event == EgressEvent.Ready,
                policy.Configuration(withCredentials: agentCredentials, byName: true).ToJson())
            {
                ClusterKeys = agentCredentials ? policy.ClusterKeys : null,
            } : null,
        };
    }

    /// <summary>A volume kept between runs, labelled so that AgentSandboxClean finds it and the orphan sweep (which looks for a run's process) never does.</summary>
    private static ContainerCache Kept(AgentRunSpec spec, string volume, string target, string kind) => new(volume, target, new Dictionary<string, string>
    {
        [RunIdentity.VersionLabel] = spec.Identity.Labels[RunIdentity.VersionLabel],
        [RunIdentity.CacheLabel] = kind,
        [RunIdentity.WorkspaceLabel] = spec.KeptVolumesWorkspace,
    });

    /// <summary>
    /// The workspace root at the workspace path; every .git in it (the root's, nested repositories', submodules')
    /// read-only on top, so that the agent can read history but not plant hooks or configuration that the host's git
    /// would run. Git metadata the agent creates is renamed out of the way after the run (the host guard).
    /// </summary>
    private static List<ContainerMount> Mounts(string workspaceRoot, bool readOnlyWorkspace, IReadOnlyCollection<string>? gitEntries)
    {
        var mounts = new List<ContainerMount> { new(workspaceRoot, SandboxPaths.Workspace, readOnlyWorkspace) };
        if (readOnlyWorkspace)
        {
            return mounts;
        }
        var rootGit = Path.Combine(workspaceRoot, ".git");
        var entries = gitEntries ?? (Directory.Exists(rootGit) || File.Exists(rootGit) ? [".git"] : []);
        mounts.AddRange(entries.Order(StringComparer.Ordinal).Select(entry => new ContainerMount(
            Path.Combine(workspaceRoot, entry.Replace('/', Path.DirectorySeparatorChar)), $"{SandboxPaths.Workspace}/{entry}", ReadOnly: true)));
        return mounts;
    }
}
