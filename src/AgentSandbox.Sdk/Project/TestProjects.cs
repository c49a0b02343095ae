using System.Xml;
using System.Xml.Linq;

namespace AgentSandbox.Project;

/// <summary>
/// The test projects that cover a project: the project itself when it is one, else every test project in the
/// repository whose project references reach it, directly or through other projects. Read from the project files
/// (and the Directory.Build.props/targets above them) without evaluating them: a test project says so with
/// IsTestProject, a reference to Microsoft.NET.Test.Sdk, or a test SDK (MSTest.Sdk).
/// </summary>
internal static class TestProjects
{
    /// <summary>Folders that hold no project of the repository's own: build output, packages, tool state.</summary>
    private static readonly IReadOnlySet<string> Skipped = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "bin", "obj", "node_modules", "packages", "artifacts" };

    private static readonly string[] ProjectExtensions = [".csproj", ".fsproj", ".vbproj"];

    /// <summary>Packages only a test project references: the test platform's own, and the test frameworks' runners.</summary>
    private static readonly IReadOnlySet<string> TestPackages = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Microsoft.NET.Test.Sdk", "xunit.v3", "xunit.runner.visualstudio", "MSTest", "NUnit3TestAdapter", "TUnit", "Microsoft.Testing.Platform",
    };

    /// <summary>The project files in <paramref name="root"/> and below it, build output and hidden folders left out.</summary>
    public static IReadOnlyList<string> InFolder(string root)
    {
        var found = new List<string>();
        var folders = new Stack<DirectoryInfo>([new DirectoryInfo(root)]);
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        while (folders.TryPop(out var folder))
        {
            foreach (var entry in folder.EnumerateFileSystemInfos("*", options))
            {
                if (entry is DirectoryInfo child)
                {
                    if (!child.Name.StartsWith('.') && !Skipped.Contains(child.Name))
                    {
                        folders.Push(child);
                    }
                }
                else if (ProjectExtensions.Contains(entry.Extension, StringComparer.OrdinalIgnoreCase))
                {
                    found.Add(entry.FullName);
                }
            }
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>The test projects among <paramref name="candidates"/> that cover <paramref name="project"/>, in path order.</summary>
    /// <param name="root">The repository (the workspace): Directory.Build files above it are not read.</param>
    /// <param name="read">A file's text, or null when it is not there (the agent's tree may differ from the host's).</param>
    public static IReadOnlyList<string> Covering(string project, IReadOnlyList<string> candidates, string root, Func<string, string?> read)
    {
        var parsed = new Dictionary<string, ProjectFile?>(StringComparer.Ordinal);
        ProjectFile? Parse(string path) => parsed.TryGetValue(path, out var known) ? known : parsed[path] = ProjectFile.Parse(path, read);
        if (IsTestProject(project, root, read, Parse(project)))
        {
            return [project];
        }
        return candidates
            .Where(candidate => candidate != project && Parse(candidate) is { } file && IsTestProject(candidate, root, read, file) && Reaches(candidate, project, Parse))
            .ToList();
    }

    private static bool Reaches(string from, string target, Func<string, ProjectFile?> parse)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var pending = new Queue<string>([from]);
        while (pending.TryDequeue(out var current))
        {
            foreach (var reference in parse(current)?.References ?? [])
            {
                if (reference == target)
                {
                    return true;
                }
                if (seen.Add(reference))
                {
                    pending.Enqueue(reference);
                }
            }
        }
        return false;
    }

    private static bool IsTestProject(string path, string root, Func<string, string?> read, ProjectFile? file)
    {
        if (file is null)
        {
            return false;
        }
        if (file.IsTest is { } said)
        {
            return said;
        }
        // A test folder's Directory.Build.props often makes its projects test projects.
        for (var folder = Path.GetDirectoryName(path); folder is not null && folder.StartsWith(root, StringComparison.Ordinal); folder = Path.GetDirectoryName(folder))
        {
            foreach (var name in (string[])["Directory.Build.props", "Directory.Build.targets"])
            {
                if (ProjectFile.Parse(Path.Combine(folder, name), read)?.IsTest is { } inherited)
                {
                    return inherited;
                }
            }
        }
        return false;
    }

    /// <summary>What a project file says of itself: whether it is a test project (null: it does not say), and the projects it references.</summary>
    private sealed record ProjectFile(bool? IsTest, IReadOnlyList<string> References)
    {
        public static ProjectFile? Parse(string path, Func<string, string?> read)
        {
            if (read(path) is not { } text)
            {
                return null;
            }
            XDocument document;
            try
            {
                document = XDocument.Parse(text);
            }
            catch (XmlException)
            {
                // The build reports a broken project file itself; it covers nothing.
                return null;
            }
            var directory = Path.GetDirectoryName(path)!;
            var elements = document.Descendants().ToList();
            bool? isTest = elements.LastOrDefault(e => e.Name.LocalName == "IsTestProject") is { } flag
                ? string.Equals(flag.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase)
                : elements.Any(e => e.Name.LocalName is "PackageReference" && TestPackages.Contains(((string?)e.Attribute("Include") ?? "").Trim()))
                    || ((string?)document.Root?.Attribute("Sdk") ?? "").Contains("MSTest.Sdk", StringComparison.OrdinalIgnoreCase)
                    ? true : null;
            var references = elements
                .Where(e => e.Name.LocalName == "ProjectReference" && (string?)e.Attribute("Include") is { Length: > 0 })
                .Select(e => ((string)e.Attribute("Include")!).Trim()
                    .Replace("$(MSBuildThisFileDirectory)", directory + "/", StringComparison.OrdinalIgnoreCase)
                    .Replace("$(MSBuildProjectDirectory)", directory, StringComparison.OrdinalIgnoreCase)
                    .Replace('\\', '/'))
                // Any other property is unknown without an evaluation; such a reference is not followed.
                .Where(include => !include.Contains("$(", StringComparison.Ordinal) && !include.Contains('*'))
                .Select(include => Path.GetFullPath(include, directory))
                .ToList();
            return new ProjectFile(isTest, references);
        }
    }
}
