namespace AgentSandbox.Workspace;

/// <summary>
/// Moves git metadata the agent planted out of git's way: git on the host runs a repository's hooks and
/// core.fsmonitor, so a .git the agent created must not stay where git finds it; it is kept for inspection.
/// </summary>
internal static class GitQuarantine
{
    public const string Suffix = ".quarantined-by-agentsandbox";

    /// <summary>
    /// Renames a planted .git so that git no longer finds it. A rename never follows a link and never touches the
    /// contents, which may not be the agent's to touch.
    /// </summary>
    /// <param name="entry">The .git entry, relative to <paramref name="root"/> with forward slashes.</param>
    /// <returns>What happened, for the error message.</returns>
    public static string Rename(string root, string entry)
    {
        var path = Path.Combine(root, entry.Replace('/', Path.DirectorySeparatorChar));
        var target = path + Suffix;
        for (var n = 2; Path.Exists(target) || new FileInfo(target).LinkTarget is not null; n++)
        {
            target = $"{path}{Suffix}-{n}";
        }
        try
        {
            // rename(2) either way: a link is renamed itself, a directory with its contents untouched.
            if (Directory.Exists(path))
            {
                Directory.Move(path, target);
            }
            else
            {
                File.Move(path, target);
            }
            return $"{entry} (renamed to {Path.GetFileName(target)})";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"{entry} (could not be renamed: {exception.Message.TrimEnd('.')}; delete it before you run git there)";
        }
    }
}
