namespace AgentSandbox.Workspace;

/// <summary>The nuget.config files NuGet reads for a folder: each one in it and in the folders above it.</summary>
internal static class NuGetConfigs
{
    /// <summary>The nuget.config files a restore on the host reads but one in the sandbox cannot: those above the workspace.</summary>
    public static IReadOnlyList<string> Above(string workspaceRoot) =>
        Directory.GetParent(Path.TrimEndingDirectorySeparator(workspaceRoot)) is { } parent ? AtOrAbove(parent.FullName) : [];

    /// <summary>Each nuget.config (any case, as NuGet finds it on Linux) in <paramref name="directory"/> and the folders above it, nearest first.</summary>
    public static IReadOnlyList<string> AtOrAbove(string directory)
    {
        var found = new List<string>();
        for (var current = new DirectoryInfo(Path.TrimEndingDirectorySeparator(directory)); current is not null; current = current.Parent)
        {
            try
            {
                found.AddRange(current.EnumerateFiles("*", new EnumerationOptions { MatchCasing = MatchCasing.CaseInsensitive, IgnoreInaccessible = true })
                    .Where(file => file.Name.Equals("nuget.config", StringComparison.OrdinalIgnoreCase))
                    .Select(file => file.FullName)
                    .Order(StringComparer.Ordinal));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // A directory the build user cannot list holds nothing NuGet could read either.
            }
        }
        return found;
    }
}
