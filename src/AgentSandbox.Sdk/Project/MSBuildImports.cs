using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace AgentSandbox.Project;

/// <summary>
/// The files that MSBuild files import, and what those import in turn, as far as their paths can be known without an
/// evaluation: literal paths, $(MSBuildThisFileDirectory) and its kin, $(MSBuildProjectDirectory), and the
/// GetPathOfFileAbove / GetDirectoryNameOfFileAbove functions with which Directory.Build files chain to the ones above
/// them. An import whose path needs any other property is not followed (the sandbox build reports a missing import
/// itself, as AGS4007). Conditions are not evaluated: an existing file an import names counts.
/// </summary>
internal static partial class MSBuildImports
{
    /// <summary>How deep imports are followed; deeper chains are not a project's own.</summary>
    private const int MaxDepth = 16;

    // $([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))
    [GeneratedRegex(@"\$\(\[MSBuild\]::GetPathOfFileAbove\(\s*'?(?<file>[^',()]+)'?\s*(?:,\s*'?(?<start>[^'()]*(?:\$\([A-Za-z]+\)[^'()]*)*)'?\s*)?\)\)", RegexOptions.CultureInvariant)]
    private static partial Regex PathOfFileAbove();

    // $([MSBuild]::GetDirectoryNameOfFileAbove('$(MSBuildThisFileDirectory)..', 'Directory.Build.props'))
    [GeneratedRegex(@"\$\(\[MSBuild\]::GetDirectoryNameOfFileAbove\(\s*'?(?<start>[^'()]*(?:\$\([A-Za-z]+\)[^'()]*)*)'?\s*,\s*'?(?<file>[^',()]+)'?\s*\)\)", RegexOptions.CultureInvariant)]
    private static partial Regex DirectoryNameOfFileAbove();

    /// <summary>Every existing file <paramref name="files"/> import, directly or not, in the order found; the given files are not in it.</summary>
    /// <param name="projectDirectory">$(MSBuildProjectDirectory) in them.</param>
    public static IReadOnlyList<string> Reached(IEnumerable<string> files, string projectDirectory)
    {
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<(string File, int Depth)>(files.Where(File.Exists).Select(file => (Path.GetFullPath(file), 0)));
        foreach (var (file, _) in pending)
        {
            seen.Add(file);
        }
        while (pending.TryDequeue(out var current))
        {
            if (current.Depth >= MaxDepth)
            {
                continue;
            }
            foreach (var import in ImportsOf(current.File, projectDirectory))
            {
                if (seen.Add(import))
                {
                    found.Add(import);
                    pending.Enqueue((import, current.Depth + 1));
                }
            }
        }
        return found;
    }

    private static IEnumerable<string> ImportsOf(string file, string projectDirectory)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(file);
        }
        catch (Exception exception) when (exception is XmlException or IOException or UnauthorizedAccessException)
        {
            // MSBuild reports a file it cannot read itself.
            yield break;
        }
        var directory = Path.GetDirectoryName(file)!;
        foreach (var import in document.Descendants().Where(e => e.Name.LocalName == "Import" && e.Attribute("Sdk") is null))
        {
            if ((string?)import.Attribute("Project") is { Length: > 0 } project && Resolve(project.Trim(), file, projectDirectory) is { } path && File.Exists(path))
            {
                yield return path;
            }
        }
    }

    /// <summary>An import's path as MSBuild would resolve it in <paramref name="file"/>; null when it needs an evaluation.</summary>
    internal static string? Resolve(string value, string file, string projectDirectory)
    {
        var directory = Path.GetDirectoryName(file)!;
        string Properties(string text) => text
            .Replace("$(MSBuildThisFileDirectory)", directory + Path.DirectorySeparatorChar, StringComparison.OrdinalIgnoreCase)
            .Replace("$(MSBuildThisFileFullPath)", file, StringComparison.OrdinalIgnoreCase)
            .Replace("$(MSBuildThisFile)", Path.GetFileName(file), StringComparison.OrdinalIgnoreCase)
            .Replace("$(MSBuildProjectDirectory)", projectDirectory, StringComparison.OrdinalIgnoreCase);
        string Start(Match match) =>
            match.Groups["start"].Success && match.Groups["start"].Value.Trim().Length > 0
                ? Path.GetFullPath(Properties(match.Groups["start"].Value.Trim()).Replace('\\', '/'), directory)
                : directory;

        var text = PathOfFileAbove().Replace(value, match => FileAbove(Start(match), match.Groups["file"].Value.Trim()) ?? "");
        text = DirectoryNameOfFileAbove().Replace(text, match => FileAbove(Start(match), match.Groups["file"].Value.Trim()) is { } found ? Path.GetDirectoryName(found)! : "");
        text = Properties(text).Replace('\\', '/');
        return text.Length == 0 || text.Contains("$(", StringComparison.Ordinal) || text.Contains("@(", StringComparison.Ordinal)
            || text.Contains("%(", StringComparison.Ordinal) || text.Contains('*') || text.Contains('?') || text.Contains(';')
            ? null
            : Path.GetFullPath(text, directory);
    }

    /// <summary>The file of that name in <paramref name="start"/> or the nearest folder above it; null when there is none.</summary>
    private static string? FileAbove(string start, string name)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
