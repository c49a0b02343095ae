namespace AgentSandbox.Common;

/// <summary>Where things are inside the sandbox, and how a path the sandbox reports maps back to the host.</summary>
internal static class SandboxPaths
{
    /// <summary>Where the workspace root is mounted (or copied) in every container.</summary>
    public const string Workspace = "/workspace";

    /// <summary>NuGet's global packages folder in every container (NUGET_PACKAGES): the package cache's volume, when there is one.</summary>
    public const string PackageCache = "/var/cache/agentsandbox/nuget";

    /// <summary>Whether a host path is <paramref name="folder"/> itself or lies inside it (full paths, compared as text).</summary>
    public static bool IsWithin(string folder, string path)
    {
        var top = Path.TrimEndingDirectorySeparator(folder);
        var inner = Path.TrimEndingDirectorySeparator(path);
        return inner == top || inner.StartsWith(top.EndsWith(Path.DirectorySeparatorChar) ? top : top + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>A host directory inside the workspace root as the container sees it.</summary>
    public static string InContainer(string workspaceRoot, string hostDirectory) =>
        Path.GetRelativePath(workspaceRoot, hostDirectory).Replace('\\', '/') is var relative && relative != "."
            ? $"{Workspace}/{relative}"
            : Workspace;

    /// <summary>A path inside the container, relative to the workspace when it is under it.</summary>
    public static string? WorkspaceRelative(string? path)
    {
        const string Prefix = Workspace + "/";
        return path is not null && path.StartsWith(Prefix, StringComparison.Ordinal) ? path[Prefix.Length..] : path;
    }

    /// <summary>A workspace-relative path (forward slashes) on the host; null for none or for a path outside the workspace.</summary>
    public static string? OnHost(string root, string? relative)
    {
        // Not rooted (a Windows UNC path would make File.Exists reach out to a server), and not out of the workspace. A
        // colon is an ordinary character of a Linux file name (a:b.txt), on Windows a drive or a stream.
        if (relative is null || relative.StartsWith('/') || relative.StartsWith('\\') || (OperatingSystem.IsWindows() && relative.Contains(':'))
            || relative.Split('/', '\\').Contains(".."))
        {
            return null;
        }
        return Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
    }
}
