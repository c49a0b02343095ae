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

    /// <summary>
    /// No control character (a newline would forge log lines), no backslash (a separator on Windows), no . or .. part,
    /// and nothing Windows would take for another name: a part ending in a dot or a space (Directory.Build.props. is
    /// written as Directory.Build.props there), a device name (CON, NUL, COM1), a colon (a drive or a stream).
    /// </summary>
    public static bool IsPlainName(string path) =>
        !path.Any(char.IsControl) && !path.Contains('\\') && !path.Contains(':')
        && path.Split('/').All(part => part.Length > 0 && part != "." && part != ".." && !part.EndsWith('.') && !part.EndsWith(' ') && !IsDeviceName(part));

    private static readonly IReadOnlySet<string> DeviceNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    private static bool IsDeviceName(string part) => DeviceNames.Contains(part.Split('.')[0].TrimEnd(' '));

    /// <summary>A relative target that stays inside the workspace and is not itself protected.</summary>
    private static bool LeadsInside(string linkPath, string target, IReadOnlyList<string> protectedPaths, bool allowProtected)
    {
        if (target.Length == 0 || target.StartsWith('/') || target.Contains('\\') || target.Contains(':') || target.Any(char.IsControl))
        {
            return false;
        }
        var resolved = new List<string>(linkPath.Split('/')[..^1]);
        var climbing = true;
        foreach (var part in target.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                // Only leading ..: after a name, the system resolves .. from wherever a link on the way led (a/s -> .
                // makes a/s/../.. climb higher than the text says), so the text proves nothing.
                if (!climbing || resolved.Count == 0)
                {
                    return false;
                }
                resolved.RemoveAt(resolved.Count - 1);
            }
            else
            {
                climbing = false;
                resolved.Add(part);
            }
        }
        var destination = string.Join('/', resolved);
        return destination.Length > 0 && !destination.Split('/').Any(part => part.Equals(".git", StringComparison.OrdinalIgnoreCase))
            && (allowProtected || !IsProtected(destination, protectedPaths));
    }
}
