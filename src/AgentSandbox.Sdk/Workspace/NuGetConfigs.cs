namespace AgentSandbox.Workspace;

/// <summary>The nuget.config files a restore on the host reads but one in the sandbox cannot: those above the workspace.</summary>
internal static class NuGetConfigs
{
    /// <summary>Each nuget.config (any case, as NuGet finds it on Linux) in the directories above <paramref name="workspaceRoot"/>, nearest first.</summary>
    public static IReadOnlyList<string> Above(string workspaceRoot)
    {
        var found = new List<string>();
        for (var directory = Directory.GetParent(Path.TrimEndingDirectorySeparator(workspaceRoot)); directory is not null; directory = directory.Parent)
        {
            try
            {
                found.AddRange(directory.EnumerateFiles("*", new EnumerationOptions { MatchCasing = MatchCasing.CaseInsensitive, IgnoreInaccessible = true })
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
