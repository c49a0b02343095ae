using AgentSandbox.Common;

namespace AgentSandbox.Workspace;

/// <summary>A local folder feed outside the workspace, and where the sandbox's restore looks for it.</summary>
/// <param name="HostPath">The folder on the host.</param>
/// <param name="ContainerPath">Where NuGet in the sandbox resolves the nuget.config's value: the same absolute path, or the relative one from the config's place in /workspace.</param>
/// <param name="Config">The nuget.config that names it.</param>
internal sealed record LocalFeed(string HostPath, string ContainerPath, string Config);

/// <summary>
/// The folder feeds of the nuget.config files a restore in the sandbox reads. Those inside the workspace travel with it;
/// those outside it (a CI artifacts folder, a machine-wide feed, a sibling folder) are mounted read-only where the
/// sandbox's NuGet will look, never by widening the workspace: the agent may read a feed, never write to it, since
/// the host restores from it next.
/// </summary>
internal static class LocalFeeds
{
    /// <summary>Where a feed cannot go in the container: system folders, the sandbox's own, the agent's home.</summary>
    private static readonly string[] ReservedInContainer =
        ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys", "/usr", "/var", "/opt/agentsandbox", "/home/agent", SandboxPaths.Workspace];

    /// <summary>
    /// The existing folder feeds outside <paramref name="workspaceRoot"/> among the sources a restore in the sandbox
    /// uses: those the nuget.config files in the workspace at or above <paramref name="directory"/> add and do not
    /// clear or remove, as NuGet merges them.
    /// </summary>
    public static IReadOnlyList<LocalFeed> OutsideWorkspace(string workspaceRoot, string directory)
    {
        var feeds = new List<LocalFeed>();
        foreach (var source in NuGetConfigs.Sources(directory, config => SandboxPaths.IsWithin(workspaceRoot, config)))
        {
            if (source.Config is not { } config || source.Value.Contains("://", StringComparison.Ordinal) || source.Value.Contains('%'))
            {
                continue;
            }
            var value = source.Value.Replace('\\', '/');
            var folder = Path.GetFullPath(value, Path.GetDirectoryName(config)!);
            if (!Directory.Exists(folder) || SandboxPaths.IsWithin(workspaceRoot, folder) || feeds.Any(feed => feed.HostPath == folder))
            {
                continue;
            }
            var configInContainer = SandboxPaths.InContainer(workspaceRoot, Path.GetDirectoryName(config)!);
            var containerPath = value.StartsWith('/') ? Path.TrimEndingDirectorySeparator(Path.GetFullPath(value)) : Path.TrimEndingDirectorySeparator(Path.GetFullPath(value, configInContainer));
            feeds.Add(new LocalFeed(folder, containerPath, config));
        }
        return feeds;
    }

    /// <summary>Why a feed's place in the container would break the sandbox; null when it can be mounted there.</summary>
    public static string? ContainerPathProblem(string containerPath) =>
        containerPath == "/" || containerPath is "/tmp" or "/home" || ReservedInContainer.Any(reserved => SandboxPaths.IsWithin(reserved, containerPath))
            ? $"the sandbox would have to mount it at {containerPath}, which is the sandbox's own"
            : null;
}
