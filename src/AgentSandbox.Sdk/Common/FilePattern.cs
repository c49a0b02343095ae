using System.Text;
using System.Text.RegularExpressions;

namespace AgentSandbox.Common;

/// <summary>A file or an MSBuild-style glob (`**` for any depth, `*` and `?` within a name), relative to a directory.</summary>
internal static class FilePattern
{
    /// <summary>Directories whose files nobody means by a scope: build output, tool state, dependencies.</summary>
    private static readonly IReadOnlySet<string> Skipped = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "bin", "obj", ".git", ".vs", "node_modules" };

    /// <summary>Whether any file under <paramref name="directory"/> matches <paramref name="pattern"/> (a pattern without wildcards may name a directory).</summary>
    public static bool MatchesAny(string pattern, string directory)
    {
        var normalized = Normalized(pattern);
        if (!IsGlob(normalized))
        {
            var path = Path.GetFullPath(normalized, directory);
            return File.Exists(path) || Directory.Exists(path);
        }
        if (!Directory.Exists(directory))
        {
            return false;
        }
        var regex = ToRegex(normalized);
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var pending = new Stack<string>([directory]);
        while (pending.TryPop(out var current))
        {
            foreach (var file in Directory.EnumerateFiles(current, "*", options))
            {
                if (regex.IsMatch(Path.GetRelativePath(directory, file).Replace('\\', '/')))
                {
                    return true;
                }
            }
            foreach (var child in Directory.EnumerateDirectories(current, "*", options).Where(child => !Skipped.Contains(Path.GetFileName(child))))
            {
                pending.Push(child);
            }
        }
        return false;
    }

    /// <summary>Whether a scope entry takes in a file (relative, forward slashes): the file itself, a folder above it, or a glob that matches it.</summary>
    public static bool Covers(string pattern, string relativePath)
    {
        var normalized = Normalized(pattern).TrimEnd('/');
        return !IsGlob(normalized)
            ? relativePath == normalized || relativePath.StartsWith(normalized + "/", StringComparison.Ordinal)
            : ToRegex(normalized).IsMatch(relativePath);
    }

    /// <summary>A scope entry with forward slashes and no leading ./, as the user may write it either way.</summary>
    private static string Normalized(string pattern)
    {
        var normalized = pattern.Replace('\\', '/');
        while (normalized.StartsWith("./", StringComparison.Ordinal))
        {
            normalized = normalized[2..];
        }
        return normalized;
    }

    private static bool IsGlob(string pattern) => pattern.IndexOfAny(['*', '?']) >= 0;

    /// <summary>Whether a relative path (forward slashes) matches a pattern, case ignored: protected paths hold on any file system.</summary>
    public static bool Matches(string pattern, string relativePath) =>
        ToRegex(pattern.Replace('\\', '/').TrimStart('/'), ignoreCase: true).IsMatch(relativePath);

    /// <summary>`**/` is any number of directories, `*` any characters but `/`, `?` one of them.</summary>
    private static Regex ToRegex(string pattern, bool ignoreCase = false)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(pattern[i] switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    var c => Regex.Escape(c.ToString()),
                });
            }
        }
        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant | (ignoreCase || !OperatingSystem.IsLinux() ? RegexOptions.IgnoreCase : RegexOptions.None));
    }
}
