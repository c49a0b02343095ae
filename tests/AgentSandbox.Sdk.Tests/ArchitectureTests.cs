using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using AgentSandbox.Sdk.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The shape of the library: layers in folders without cycles, Docker in one folder, only the tasks public.</summary>
public sealed partial class ArchitectureTests
{
    private static readonly string Sources = Repository.File("src/AgentSandbox.Sdk");

    /// <summary>Each folder and the folders its files name (using AgentSandbox.X, or AgentSandbox.X.Type).</summary>
    private static Dictionary<string, HashSet<string>> FolderDependencies()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var path in SourceFiles())
        {
            var folder = Path.GetRelativePath(Sources, path).Split(Path.DirectorySeparatorChar)[0];
            var uses = graph.TryGetValue(folder, out var known) ? known : graph[folder] = [];
            uses.UnionWith(Reference().Matches(File.ReadAllText(path)).Select(match => match.Groups[1].Value).Where(name => name != folder));
        }
        return graph;
    }

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Sources, "*.cs", SearchOption.AllDirectories)
            .Where(path => !Path.GetRelativePath(Sources, path).StartsWith("obj", StringComparison.Ordinal)
                && !Path.GetRelativePath(Sources, path).StartsWith("bin", StringComparison.Ordinal));

    [GeneratedRegex(@"\bAgentSandbox\.([A-Z][A-Za-z]+)\b")]
    private static partial Regex Reference();

    [Fact]
    public void Folders_depend_on_each_other_without_a_cycle()
    {
        var graph = FolderDependencies();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<string>();

        void Visit(string folder, List<string> path)
        {
            if (path.Contains(folder))
            {
                cycles.Add(string.Join(" -> ", path.SkipWhile(f => f != folder).Append(folder)));
                return;
            }
            if (!done.Add(folder))
            {
                return;
            }
            foreach (var next in graph.GetValueOrDefault(folder) ?? [])
            {
                Visit(next, [.. path, folder]);
            }
            done.Remove(folder);
            done.Add(folder);
        }

        foreach (var folder in graph.Keys.Order(StringComparer.Ordinal))
        {
            Visit(folder, []);
        }
        Assert.Empty(cycles);
    }

    [Fact]
    public void Only_the_Docker_folder_knows_Docker_DotNet()
    {
        var users = SourceFiles().Where(path => File.ReadAllText(path).Contains("Docker.DotNet", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(Sources, path).Split(Path.DirectorySeparatorChar)[0])
            .Distinct();

        Assert.Equal(["Docker"], users);
    }

    [Fact]
    public void Only_the_tasks_are_public()
    {
        // Read from metadata: loading the types would need MSBuild's assemblies, which only a build has.
        using var file = File.OpenRead(typeof(Spec.SandboxSpec).Assembly.Location);
        using var pe = new PEReader(file);
        var metadata = pe.GetMetadataReader();
        var publicTypes = metadata.TypeDefinitions.Select(metadata.GetTypeDefinition)
            .Where(type => (type.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
            .Select(type => $"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            ["AgentSandbox.Tasks.AgentSandboxTask", "AgentSandbox.Tasks.BuildSandboxImage", "AgentSandbox.Tasks.RunAgent",
             "AgentSandbox.Tasks.SandboxImageTask", "AgentSandbox.Tasks.SelectAgentTarget", "AgentSandbox.Tasks.WriteSandboxDockerfile"],
            publicTypes);
    }
}
