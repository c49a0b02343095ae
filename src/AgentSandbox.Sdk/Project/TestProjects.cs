using System.Xml;
using System.Xml.Linq;

namespace AgentSandbox.Project;

/// <summary>How a test project's tests run under `dotnet test`, and which report of theirs says what ran.</summary>
internal enum TestPlatform
{
    /// <summary>VSTest (Microsoft.NET.Test.Sdk): its trx logger.</summary>
    VSTest,

    /// <summary>Microsoft.Testing.Platform with its TRX extension (MSTest brings it): --report-trx.</summary>
    TestingPlatformTrx,

    /// <summary>Microsoft.Testing.Platform under xunit.v3, which writes TRX itself: --report-xunit-trx.</summary>
    TestingPlatformXunit,

    /// <summary>Microsoft.Testing.Platform without a TRX report that is known: its tests cannot be counted.</summary>
    TestingPlatformUnreported,
}

/// <summary>A test project to run, relative to the workspace root (forward slashes), and how its results are read.</summary>
internal sealed record TestedProject(string Path, TestPlatform Platform)
{
    public override string ToString() => Path;
}

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

    /// <summary>Properties (set to true) that make `dotnet test` run a project on Microsoft.Testing.Platform.</summary>
    private static readonly string[] TestingPlatformSwitches =
        ["TestingPlatformDotnetTestSupport", "UseMicrosoftTestingPlatformRunner", "EnableMSTestRunner", "EnableNUnitRunner"];

    /// <summary>Whether a file is a project (a build of one project), not a solution or filter of several.</summary>
    public static bool IsProjectFile(string path) => Path.GetExtension(path).EndsWith("proj", StringComparison.OrdinalIgnoreCase);

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
    /// <param name="root">The repository (the workspace): Directory.Build files above it are not read; results are relative to it.</param>
    /// <param name="read">A file's text, or null when it is not there (the agent's tree may differ from the host's).</param>
    public static IReadOnlyList<TestedProject> Covering(string project, IReadOnlyList<string> candidates, string root, Func<string, string?> read)
    {
        var parsed = new Dictionary<string, ProjectFile?>(StringComparer.Ordinal);
        ProjectFile? Parse(string path) => parsed.TryGetValue(path, out var known) ? known : parsed[path] = ProjectFile.Parse(path, read);
        var found = Describe(project, root, Parse) is { IsTest: true } self ? [(project, self)]
            : candidates
                .Where(candidate => candidate != project)
                .Select(candidate => (Path: candidate, Facts: Describe(candidate, root, Parse)))
                .Where(candidate => candidate.Facts.IsTest && Reaches(candidate.Path, project, Parse))
                .ToList();
        return found.Select(test => new TestedProject(Path.GetRelativePath(root, test.Item1).Replace('\\', '/'), test.Item2.Platform)).ToList();
    }

    /// <summary>A test project named by the user (AgentTestProject): how it runs, read like the found ones.</summary>
    public static TestedProject Named(string path, string root, Func<string, string?> read) =>
        new(Path.GetRelativePath(root, path).Replace('\\', '/'), Describe(path, root, file => ProjectFile.Parse(file, read)).Platform);

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

    /// <summary>What a project is, from its file and the Directory.Build.props/targets above it in the repository (a test folder's often makes its projects test projects).</summary>
    private static (bool IsTest, TestPlatform Platform) Describe(string path, string root, Func<string, ProjectFile?> parse)
    {
        var files = new List<ProjectFile>();
        if (parse(path) is not { } own)
        {
            return (false, TestPlatform.VSTest);
        }
        files.Add(own);
        for (var folder = Path.GetDirectoryName(path); folder is not null && folder.StartsWith(root, StringComparison.Ordinal); folder = Path.GetDirectoryName(folder))
        {
            foreach (var name in (string[])["Directory.Build.props", "Directory.Build.targets"])
            {
                if (parse(Path.Combine(folder, name)) is { } inherited)
                {
                    files.Add(inherited);
                }
            }
        }
        // The nearest file that says whether it is a test project decides.
        var isTest = files.Select(file => file.IsTest).FirstOrDefault(said => said is not null) ?? false;
        var packages = files.SelectMany(file => file.Packages).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // MSTest.Sdk runs on the platform unless UseVSTest says otherwise.
        var testingPlatform = (files.Any(file => file.UsesTestingPlatform) || packages.Contains("TUnit")) && !files.Any(file => file.UsesVSTest);
        var platform = !testingPlatform ? TestPlatform.VSTest
            : packages.Contains("xunit.v3") ? TestPlatform.TestingPlatformXunit
            : files.Any(file => file.Sdk.Contains("MSTest.Sdk", StringComparison.OrdinalIgnoreCase)) || packages.Contains("MSTest") || packages.Contains("Microsoft.Testing.Extensions.TrxReport")
                ? TestPlatform.TestingPlatformTrx
            : TestPlatform.TestingPlatformUnreported;
        return (isTest, platform);
    }

    /// <summary>What a project file (or a Directory.Build file) says of itself.</summary>
    /// <param name="IsTest">Whether it is a test project; null when it does not say.</param>
    /// <param name="References">The projects it references, full paths.</param>
    /// <param name="Packages">The packages it references.</param>
    /// <param name="UsesTestingPlatform">It turns on Microsoft.Testing.Platform under `dotnet test`.</param>
    /// <param name="UsesVSTest">It keeps VSTest (UseVSTest, MSTest.Sdk's switch back).</param>
    /// <param name="Sdk">Its Project element's Sdk attribute.</param>
    private sealed record ProjectFile(bool? IsTest, IReadOnlyList<string> References, IReadOnlyList<string> Packages, bool UsesTestingPlatform, bool UsesVSTest, string Sdk)
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
            bool IsTrue(XElement element) => string.Equals(element.Value.Trim(), "true", StringComparison.OrdinalIgnoreCase);
            var packages = elements.Where(e => e.Name.LocalName is "PackageReference").Select(e => ((string?)e.Attribute("Include") ?? "").Trim()).Where(name => name.Length > 0).ToList();
            var sdk = (string?)document.Root?.Attribute("Sdk") ?? "";
            bool? isTest = elements.LastOrDefault(e => e.Name.LocalName == "IsTestProject") is { } flag ? IsTrue(flag)
                : packages.Any(TestPackages.Contains) || sdk.Contains("MSTest.Sdk", StringComparison.OrdinalIgnoreCase) ? true
                : null;
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
            var testingPlatform = elements.Any(e => TestingPlatformSwitches.Contains(e.Name.LocalName) && IsTrue(e))
                || sdk.Contains("MSTest.Sdk", StringComparison.OrdinalIgnoreCase);
            var vstest = elements.Any(e => e.Name.LocalName == "UseVSTest" && IsTrue(e));
            return new ProjectFile(isTest, references, packages, testingPlatform, vstest, sdk);
        }
    }
}
