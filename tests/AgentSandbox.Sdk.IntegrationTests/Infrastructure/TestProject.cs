using AgentSandbox.Sdk.TestSupport;

namespace AgentSandbox.Sdk.IntegrationTests.Infrastructure;

/// <summary>
/// A throw-away console project in its own temp directory that imports this repository's build/ props and targets,
/// with the task assembly of this build, the way a PackageReference would. The imports are conditional: builds
/// inside the sandbox (AgentFix, AgentVerify) see the project but not this repository, and build it as a plain app.
/// </summary>
public sealed class TestProject : IDisposable
{
    public static readonly string RepositoryRoot = Repository.Root;

    private readonly string _root;

    public TestProject(string targetFrameworks = "net10.0", string extraProperties = "", string extraItems = "", string name = "Sample")
    {
        _root = Path.Combine(Path.GetTempPath(), "agentsandbox-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory = Path.Combine(_root, name);
        System.IO.Directory.CreateDirectory(Directory);
        ProjectPath = Path.Combine(Directory, name + ".csproj");
        File.WriteAllText(ProjectPath, ProjectXml(targetFrameworks, extraProperties, extraItems));
        File.WriteAllText(Path.Combine(Directory, "Program.cs"), "Console.WriteLine(\"Hello, World!\");\n");
    }

    /// <summary>A project file that imports this repository's build/ props and targets as the package would.</summary>
    public static string ProjectXml(string targetFrameworks = "net10.0", string extraProperties = "", string extraItems = "")
    {
        var frameworkProperty = targetFrameworks.Contains(';') ? "TargetFrameworks" : "TargetFramework";
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <AgentSandboxTaskAssembly>{Path.Combine(AppContext.BaseDirectory, "AgentSandbox.Sdk.dll")}</AgentSandboxTaskAssembly>
              </PropertyGroup>
              <Import Project="{Path.Combine(RepositoryRoot, "build", "AgentSandbox.Sdk.props")}" Condition="Exists('{Path.Combine(RepositoryRoot, "build", "AgentSandbox.Sdk.props")}')" />
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <{frameworkProperty}>{targetFrameworks}</{frameworkProperty}>
                <ImplicitUsings>enable</ImplicitUsings>
                {extraProperties}
              </PropertyGroup>
              <ItemGroup>
                {extraItems}
              </ItemGroup>
              <Import Project="{Path.Combine(RepositoryRoot, "build", "AgentSandbox.Sdk.targets")}" Condition="Exists('{Path.Combine(RepositoryRoot, "build", "AgentSandbox.Sdk.targets")}')" />
            </Project>
            """;
    }

    public string Directory { get; }
    public string ProjectPath { get; }

    public string SandboxDirectory => Path.Combine(Directory, "obj", "agent");

    /// <summary>Builds the project; every result.json the build left is held to the published schema.</summary>
    public BuildRun Build(string target, IDictionary<string, string>? properties = null)
    {
        var run = MSBuildHost.Build(ProjectPath, target, properties);
        foreach (var result in System.IO.Directory.Exists(SandboxDirectory) ? System.IO.Directory.GetFiles(SandboxDirectory, "result.json", SearchOption.AllDirectories) : [])
        {
            ResultSchema.AssertValid(File.ReadAllText(result));
        }
        return run;
    }

    public void Dispose()
    {
        Shell.RemoveKeptVolumes(_root);
        try
        {
            System.IO.Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
