using System.IO.Compression;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// The packed .nupkg, consumed by fresh projects the way users do: as a PackageReference (single- and multi-targeted)
/// and as an MSBuild project SDK, restored from a local feed with `dotnet build`.
/// </summary>
public sealed class PackageTests : IClassFixture<PackageTests.PackedPackage>
{
    private readonly PackedPackage _package;

    public PackageTests(PackedPackage package) => _package = package;

    [Fact]
    public void ShipsTheTasksWithTheirDependenciesAndNothingMSBuildProvides()
    {
        using var archive = ZipFile.OpenRead(_package.Path);
        var files = archive.Entries.Select(e => e.FullName).Where(n => !n.EndsWith(".psmdcp") && !n.StartsWith("_rels/") && n != "[Content_Types].xml").Order().ToList();
        string[] required =
        [
            "AgentSandbox.Sdk.nuspec", "README.md",
            "build/AgentSandbox.Sdk.props", "build/AgentSandbox.Sdk.targets",
            "buildMultiTargeting/AgentSandbox.Sdk.props", "buildMultiTargeting/AgentSandbox.Sdk.targets",
            "Sdk/Sdk.props", "Sdk/Sdk.targets",
            "schemas/result.schema.json",
            "tasks/net8.0/AgentSandbox.Sdk.dll", "tasks/net8.0/AgentSandbox.Sdk.deps.json",
            "tasks/net8.0/NuGet.Versioning.dll", "tasks/net8.0/System.IO.Pipelines.dll", "tasks/net8.0/KubernetesClient.dll",
            // The egress proxy of AgentNetwork=allowlist, for both architectures the engine may have.
            "tasks/net8.0/egress/linux-x64/agentsandbox-egress", "tasks/net8.0/egress/linux-arm64/agentsandbox-egress",
        ];
        foreach (var file in required)
        {
            Assert.Contains(file, files);
        }
        Assert.DoesNotContain(files, f => f.Contains("Microsoft.Build", StringComparison.OrdinalIgnoreCase));
        // The engine is reached by our own client: no Docker client library of its own.
        Assert.DoesNotContain(files, f => f.Contains("Docker.DotNet", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.StartsWith("lib/", StringComparison.Ordinal));
    }

    [Fact]
    public void TaskAssembliesPackedOnLinuxX64CarryReadyToRunCodeBesideTheirIL()
    {
        var linuxX64 = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64;
        using var archive = ZipFile.OpenRead(_package.Path);
        var assemblies = archive.Entries.Where(e => e.FullName.StartsWith("tasks/net8.0/", StringComparison.Ordinal) && e.FullName.EndsWith(".dll", StringComparison.Ordinal)).ToList();

        Assert.Contains(assemblies, e => e.Name == "AgentSandbox.Sdk.dll");
        foreach (var entry in assemblies)
        {
            using var content = new MemoryStream();
            using (var stream = entry.Open())
            {
                stream.CopyTo(content);
            }
            content.Position = 0;
            using var pe = new System.Reflection.PortableExecutable.PEReader(content);
            var header = pe.PEHeaders.CorHeader!;
            // IL for every runtime and platform; native code only where it was compiled for.
            Assert.True(header.MetadataDirectory.Size > 0, entry.FullName);
            Assert.True((header.ManagedNativeHeaderDirectory.Size > 0) == linuxX64, $"{entry.FullName}: ReadyToRun code {(linuxX64 ? "missing" : "present")}");
        }
    }

    [Theory]
    [InlineData("net8.0", "mcr.microsoft.com/dotnet/sdk:8.0")]
    [InlineData("net8.0;net10.0", "mcr.microsoft.com/dotnet/sdk:10.0")]
    public void PackageReferenceWritesTheDockerfile(string targetFrameworks, string expectedBase)
    {
        var project = _package.NewProject(targetFrameworks.Contains(';') ? "TargetFrameworks" : "TargetFramework", targetFrameworks, useSdkElement: false);
        var (exitCode, output) = _package.DotNet(project, "build", "-t:AgentSandboxDockerfile");
        Assert.True(exitCode == 0, output);
        var dockerfile = File.ReadAllText(Path.Combine(project, "obj", "agent", "context", "Dockerfile"));
        Assert.Contains($"FROM {expectedBase}\n", dockerfile);
    }

    [Fact]
    public void SdkElementWritesTheDockerfile()
    {
        var project = _package.NewProject("TargetFramework", "net10.0", useSdkElement: true);
        var (exitCode, output) = _package.DotNet(project, "build", "-t:AgentSandboxDockerfile");
        Assert.True(exitCode == 0, output);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0\n", File.ReadAllText(Path.Combine(project, "obj", "agent", "context", "Dockerfile")));
    }

    [Fact]
    public void TasksLoadTheirDependenciesFromThePackage()
    {
        // Reaching AGS2001 means the task and what it loads on the way loaded from tasks/net8.0 and tried the engine.
        var project = _package.NewProject("TargetFramework", "net10.0", useSdkElement: false);
        var (exitCode, output) = _package.DotNet(project, "build", "-t:AgentSandboxImage", "-p:AgentDockerHost=unix:///nonexistent/agentsandbox.sock");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("error AGS2001", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void MissingCredentialFailsFromThePackageToo()
    {
        var project = _package.NewProject("TargetFramework", "net10.0", useSdkElement: false);
        var (exitCode, output) = _package.DotNet(project, "build", "-t:AgentRun", "-p:AgentPrompt=Add XML docs");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("error AGS1006", output);
    }

    /// <summary>Packs the package once, under a version of its own, into a feed with its own package cache.</summary>
    public sealed class PackedPackage : IDisposable
    {
        private readonly string _root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "agentsandbox-package-tests", Guid.NewGuid().ToString("N")[..12]);
        private int _projects;

        public PackedPackage()
        {
            Version = "0.0.1-test." + Guid.NewGuid().ToString("N")[..8];
            var feed = System.IO.Path.Combine(_root, "feed");
            var (exitCode, output) = Shell.Run("dotnet", "pack", System.IO.Path.Combine(TestProject.RepositoryRoot, "src", "AgentSandbox.Sdk", "AgentSandbox.Sdk.csproj"),
                "-c", "Release", "-o", feed, $"-p:AgentSandboxPackageVersion={Version}", "-nodeReuse:false");
            Assert.True(exitCode == 0, output);
            Path = System.IO.Path.Combine(feed, $"AgentSandbox.Sdk.{Version}.nupkg");
            File.WriteAllText(System.IO.Path.Combine(_root, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config><add key="globalPackagesFolder" value="{System.IO.Path.Combine(_root, "packages")}" /></config>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);
        }

        public string Version { get; }
        public string Path { get; }

        public string NewProject(string frameworkProperty, string frameworks, bool useSdkElement)
        {
            var directory = System.IO.Path.Combine(_root, $"App{Interlocked.Increment(ref _projects)}");
            Directory.CreateDirectory(directory);
            var reference = useSdkElement
                ? $"""<Sdk Name="AgentSandbox.Sdk" Version="{Version}" />"""
                : $"""<ItemGroup><PackageReference Include="AgentSandbox.Sdk" Version="{Version}" PrivateAssets="all" /></ItemGroup>""";
            File.WriteAllText(System.IO.Path.Combine(directory, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  {reference}
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <{frameworkProperty}>{frameworks}</{frameworkProperty}>
                  </PropertyGroup>
                </Project>
                """);
            File.WriteAllText(System.IO.Path.Combine(directory, "Program.cs"), "System.Console.WriteLine(\"Hello\");\n");
            return directory;
        }

        public (int ExitCode, string Output) DotNet(string directory, params string[] arguments) =>
            Shell.RunIn(directory, "dotnet", [.. arguments, "-nodeReuse:false"]);

        public void Dispose()
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
