using AgentSandbox.Common;

namespace AgentSandbox.Workspace;

/// <summary>Why a change is not applied to the user's tree.</summary>
internal enum RefusalKind
{
    /// <summary>Build or automation logic the host would run (AgentProtectedPath).</summary>
    Protected,

    /// <summary>A link out of the workspace or to a protected file; a hard link, device or pipe.</summary>
    Link,

    /// <summary>Git metadata, which git on the host obeys.</summary>
    GitMetadata,

    /// <summary>A name the host cannot take or a log cannot show (control characters, a backslash, . or ..).</summary>
    Name,
}

internal sealed record ChangeRefusal(RefusalKind Kind, string Path);

/// <summary>
/// The check every change of the agent's passes before it reaches the user's tree. Anything the host would later run,
/// follow or obey is refused: build logic (unless AgentAllowProtectedChanges), links leading out, git metadata, names
/// that are not plain. One refusal refuses the whole changeset: half a refactoring is worse than none.
/// </summary>
internal static class ChangesetCheck
{
    public static IReadOnlyList<ChangeRefusal> Check(Changeset changes, IReadOnlyList<string> protectedPaths, bool allowProtected)
    {
        var refusals = changes.GitMetadata.Select(path => new ChangeRefusal(RefusalKind.GitMetadata, path)).ToList();
        foreach (var entry in changes.Entries)
        {
            if (!IsPlainName(entry.Path))
            {
                refusals.Add(new ChangeRefusal(RefusalKind.Name, entry.Path));
            }
            else if (entry.Kind == EntryKind.Other
                || (entry.Kind == EntryKind.Link && entry.Change != FileChange.Deleted && !LeadsInside(entry.Path, entry.LinkTarget!, protectedPaths, allowProtected)))
            {
                refusals.Add(new ChangeRefusal(RefusalKind.Link, entry.Path));
            }
            else if (!allowProtected && IsProtected(entry.Path, protectedPaths))
            {
                refusals.Add(new ChangeRefusal(RefusalKind.Protected, entry.Path));
            }
        }
        return refusals;
    }

    public static bool IsProtected(string path, IReadOnlyList<string> protectedPaths) => protectedPaths.Any(pattern => FilePattern.Matches(pattern, path));

    /// <summary>No control character (a newline would forge log lines), no backslash (a separator on Windows), no . or .. part.</summary>
    private static bool IsPlainName(string path) =>
        !path.Any(char.IsControl) && !path.Contains('\\') && path.Split('/').All(part => part.Length > 0 && part != "." && part != "..")
        && (!OperatingSystem.IsWindows() || !path.Contains(':'));

    /// <summary>A relative target that stays inside the workspace and is not itself protected.</summary>
    private static bool LeadsInside(string linkPath, string target, IReadOnlyList<string> protectedPaths, bool allowProtected)
    {
        if (target.Length == 0 || target.StartsWith('/') || target.Contains('\\') || target.Contains(':') || target.Any(char.IsControl))
        {
            return false;
        }
        var resolved = new List<string>(linkPath.Split('/')[..^1]);
        foreach (var part in target.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (resolved.Count == 0)
                {
                    return false;
                }
                resolved.RemoveAt(resolved.Count - 1);
            }
            else
            {
                resolved.Add(part);
            }
        }
        var destination = string.Join('/', resolved);
        return destination.Length > 0 && !destination.Split('/').Any(part => part.Equals(".git", StringComparison.OrdinalIgnoreCase))
            && (allowProtected || !IsProtected(destination, protectedPaths));
    }
}
