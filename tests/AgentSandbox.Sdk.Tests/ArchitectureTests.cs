using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using AgentSandbox.Sdk.TestSupport;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The shape of the library: layers in folders in README's order, Docker in one folder, only the tasks public.</summary>
public sealed partial class ArchitectureTests
{
    private static readonly string Sources = Repository.File("src/AgentSandbox.Sdk");

    /// <summary>Each folder and the folders its files name (using AgentSandbox.X, or AgentSandbox.X.Type).</summary>
    private static Dictionary<string, HashSet<string>> FolderDependencies()
    {
        var folders = Directory.EnumerateDirectories(Sources).Select(Path.GetFileName).OfType<string>().Where(name => name is not ("bin" or "obj")).ToHashSet();
        var graph = folders.ToDictionary(folder => folder, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var path in SourceFiles())
        {
            var folder = Path.GetRelativePath(Sources, path).Split(Path.DirectorySeparatorChar)[0];
            if (graph.TryGetValue(folder, out var uses))
            {
                uses.UnionWith(Reference().Matches(File.ReadAllText(path)).Select(match => match.Groups[1].Value).Where(name => name != folder && folders.Contains(name)));
            }
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
    public void Each_folder_uses_only_the_folders_below_it_in_READMEs_map_so_there_is_no_cycle()
    {
        var order = Readme.FolderOrder().ToList();
        var graph = FolderDependencies();

        Assert.Equal(graph.Keys.Order(StringComparer.Ordinal), order.Order(StringComparer.Ordinal));
        var upward = graph.SelectMany(folder => folder.Value.Select(used => (folder.Key, used)))
            .Where(use => order.IndexOf(use.used) <= order.IndexOf(use.Key))
            .Select(use => $"{use.Key} uses {use.used}, which README's map puts above it")
            .ToList();
        Assert.Empty(upward);
    }

    [Theory]
    [InlineData("EngineConnection", "Docker")]
    [InlineData("using k8s", "Kubernetes")]
    public void Only_one_folder_knows_each_engine_client(string client, string folder)
    {
        var users = SourceFiles().Where(path => File.ReadAllText(path).Contains(client, StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(Sources, path).Split(Path.DirectorySeparatorChar)[0])
            .Distinct();

        Assert.Equal([folder], users);
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
            ["AgentSandbox.Tasks.AgentSandboxTask", "AgentSandbox.Tasks.BuildSandboxImage", "AgentSandbox.Tasks.CleanSandbox", "AgentSandbox.Tasks.RestoreCheckpoint", "AgentSandbox.Tasks.RunAgent",
             "AgentSandbox.Tasks.SandboxImageTask", "AgentSandbox.Tasks.SelectAgentTarget", "AgentSandbox.Tasks.WriteSandboxDockerfile"],
            publicTypes);
    }
}
