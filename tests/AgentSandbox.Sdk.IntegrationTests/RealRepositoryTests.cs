using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// A repository shaped like the libraries users bring (ardalis/GuardClauses, serilog/serilog): a root global.json, a
/// NuGet.config whose folder feed lies outside the repository, a Directory.Build.props that the library's evaluation
/// needs, central package management, src/Lib with the package and test/Lib.Tests (xunit) without it, and a solution.
/// Every target runs from src/Lib with default settings, the real Claude Code CLI driven by the scripted API.
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed class RealRepositoryTests
{
    private static Dictionary<string, string> Properties(params (string Name, string Value)[] more) =>
        SandboxProperties.ForSandboxBuilds(more);

    [DockerFact]
    public async Task AgentFix_is_shown_the_real_compile_error_and_restores_from_the_feed_outside_the_repository()
    {
        const string apiKey = "sk-ant-repo-fix";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Edit", new { file_path = "/workspace/src/Lib/Calc.cs", old_string = "a + b }", new_string = "a + b; }" }),
            new TextTurn("Fixed Calc.cs."),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var repository = new LibraryRepository();
        File.WriteAllText(repository.Path("src/Lib/Calc.cs"), "public static class Calc { public static int Add(int a, int b) { return a + b } }\n");

        var run = repository.Build("AgentFix", Properties());

        Assert.True(run.Succeeded, run.Log);
        var turn = api.Requests.First(r => r.Kind == RequestKind.ConversationTurn).Body!.ToJsonString();
        // The library's own error: the sandbox evaluated it with the root Directory.Build.props, and restored the test
        // project's packages from the feed outside the repository, mounted read-only where NuGet.config points.
        Assert.Contains("src/Lib/Calc.cs(1,", turn);
        Assert.Contains("CS1002", turn);
        Assert.DoesNotMatch("NU1(10[0-3]|301)|NETSDK1013|MSB4184", turn);
        Assert.Contains("return a + b; }", File.ReadAllText(repository.Path("src/Lib/Calc.cs")));
        Assert.Equal(" M src/Lib/Calc.cs", repository.GitStatus());
    }

    [DockerFact]
    public async Task AgentTest_runs_the_repository_s_test_project_and_names_the_test_that_fails_at_its_line()
    {
        const string apiKey = "sk-ant-repo-test-fails";
        await using var api = FakeAnthropicApi.Start([new TextTurn("The tests look complete.")], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var repository = new LibraryRepository();
        File.WriteAllText(repository.Path("test/Lib.Tests/CalcTests.cs"), Tests(
            "[Fact] public void Adds() => Assert.Equal(5, Calc.Add(2, 3));",
            "[Fact] public void Adds_negatives() => Assert.Equal(-6, Calc.Add(-2, -3));"));

        var run = repository.Build("AgentTest", Properties());

        Assert.False(run.Succeeded, run.Log);
        var turn = api.Requests.First(r => r.Kind == RequestKind.ConversationTurn).Body!.ToJsonString();
        Assert.Contains("/workspace/test/Lib.Tests/Lib.Tests.csproj", turn);
        var error = Assert.Single(run.Errors, e => e.Code == "AGS4004");
        Assert.Contains("dotnet test fails inside the sandbox (1 of 2 tests failed, the first CalcTests.Adds_negatives)", error.Text);
        var failed = Assert.Single(run.Errors, e => e.Text.StartsWith("CalcTests.Adds_negatives failed:", StringComparison.Ordinal));
        Assert.Equal((repository.Path("test/Lib.Tests/CalcTests.cs"), 8), (failed.File, failed.Line));
        using var result = JsonDocument.Parse(File.ReadAllText(repository.Path("src/Lib/obj/agent/AgentTest/result.json")));
        var tests = result.RootElement.GetProperty("verification").GetProperty("tests");
        Assert.Equal((2, 1, 1), (tests.GetProperty("total").GetInt32(), tests.GetProperty("passed").GetInt32(), tests.GetProperty("failed").GetInt32()));
        Assert.Equal("test/Lib.Tests/Lib.Tests.csproj", Assert.Single(tests.GetProperty("projects").EnumerateArray()).GetString());
    }

    [DockerFact]
    public async Task AgentTest_whose_agent_adds_a_test_to_the_test_project_passes_with_the_new_count()
    {
        const string apiKey = "sk-ant-repo-test-adds";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Write", new
            {
                file_path = "/workspace/test/Lib.Tests/MoreCalcTests.cs",
                content = Tests("[Fact] public void Adds_zero() => Assert.Equal(2, Calc.Add(2, 0));").Replace("class CalcTests", "class MoreCalcTests", StringComparison.Ordinal),
            }),
            new TextTurn("Added a test."),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var repository = new LibraryRepository();

        var run = repository.Build("AgentTest", Properties());

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.MessageLines, line => line.EndsWith("1 file changed; dotnet test passed (2 tests: 2 passed).", StringComparison.Ordinal));
        Assert.Equal("?? test/Lib.Tests/MoreCalcTests.cs", repository.GitStatus());
    }

    [Fact]
    public void A_solution_level_AgentRun_with_the_test_project_lacking_the_package_changes_nothing_and_says_why()
    {
        using var repository = new LibraryRepository();
        File.WriteAllText(repository.Path("Directory.Build.props"), File.ReadAllText(repository.Path("Directory.Build.props"))
            .Replace("</PropertyGroup>", "<AgentKind>custom</AgentKind><AgentCommand>sh;-c;touch ran.txt</AgentCommand></PropertyGroup>", StringComparison.Ordinal));

        var (exitCode, output) = Shell.RunIn(repository.Root, "dotnet", "build", "Lib.slnx", "-m:1", "-t:AgentRun", "-p:AgentPrompt=Tidy", "-tl:off", "-nodeReuse:false");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error AGS1017: AgentRun for Lib.slnx runs one agent for the whole solution, but Lib.Tests does not import AgentSandbox.Sdk", output);
        Assert.False(File.Exists(repository.Path("ran.txt")));
        Assert.Equal(" M Directory.Build.props", repository.GitStatus());
    }

    [DockerFact]
    public async Task The_sandbox_s_package_cache_restores_the_next_run_without_reading_the_feed()
    {
        const string apiKey = "sk-ant-repo-cache";
        await using var api = FakeAnthropicApi.Start([new TextTurn("Nothing to add.")], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var repository = new LibraryRepository();
        // A workspace of its own: a cache no other test has filled.
        Assert.True(repository.Build("AgentTest", Properties()).Succeeded);
        // The feed empties (NuGet refuses a local source that is not there at all, cached or not).
        Directory.Move(repository.Feed, repository.Feed + ".gone");
        Directory.CreateDirectory(repository.Feed);

        // AgentForce: the same inputs would otherwise skip the runs altogether.
        var cached = repository.Build("AgentTest", Properties(("AgentForce", "true")));
        var uncached = repository.Build("AgentTest", Properties(("AgentPackageCache", "false"), ("AgentForce", "true")));

        Assert.True(cached.Succeeded, cached.Log);
        Assert.False(uncached.Succeeded, uncached.Log);
        Assert.Contains(uncached.Errors, e => e.Code == "AGS4011");
    }

    private static string Tests(params string[] facts) => $$"""
        using Xunit;

        public class CalcTests
        {
            // The tests of Calc.
            // Each is one line.
            {{string.Join("\n    ", facts)}}
        }

        """;

    /// <summary>The repository, a git repository with one commit, and its feed beside it.</summary>
    private sealed class LibraryRepository : IDisposable
    {
        private readonly string _top = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "agentsandbox-tests", Guid.NewGuid().ToString("N")[..12]);

        public LibraryRepository()
        {
            Root = System.IO.Path.Combine(_top, "repo");
            Feed = System.IO.Path.Combine(_top, "ci-feed");
            Directory.CreateDirectory(_top);
            Assert.Equal(0, Shell.Run("cp", "-r", "/opt/nuget/packages", Feed).ExitCode);
            Write("global.json", """{ "sdk": { "version": "10.0.100", "rollForward": "latestFeature" } }""");
            Write("NuGet.config", $"""
                <configuration>
                  <packageSources><clear /><add key="ci" value="{Feed}" /></packageSources>
                </configuration>
                """);
            // The library's evaluation needs it, as Serilog's needs its root Directory.Build.props.
            Write("Directory.Build.props", """
                <Project>
                  <PropertyGroup><LibTargetFramework>net10.0</LibTargetFramework><Nullable>enable</Nullable></PropertyGroup>
                </Project>
                """);
            Write("Directory.Packages.props", """
                <Project>
                  <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
                  <ItemGroup>
                    <PackageVersion Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                    <PackageVersion Include="xunit" Version="2.9.3" />
                    <PackageVersion Include="xunit.runner.visualstudio" Version="3.1.5" />
                  </ItemGroup>
                </Project>
                """);
            Write("src/Lib/Lib.csproj", TestProject.ProjectXml(extraProperties: "<OutputType>Library</OutputType><TargetFramework>$(LibTargetFramework)</TargetFramework>"));
            Write("src/Lib/Calc.cs", "public static class Calc { public static int Add(int a, int b) => a + b; }\n");
            Write("test/Lib.Tests/Lib.Tests.csproj", """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net10.0</TargetFramework><IsPackable>false</IsPackable></PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Microsoft.NET.Test.Sdk" />
                    <PackageReference Include="xunit" />
                    <PackageReference Include="xunit.runner.visualstudio" />
                    <ProjectReference Include="..\..\src\Lib\Lib.csproj" />
                  </ItemGroup>
                </Project>
                """);
            Write("test/Lib.Tests/CalcTests.cs", Tests("[Fact] public void Adds() => Assert.Equal(5, Calc.Add(2, 3));"));
            Write("Lib.slnx", "<Solution>\n  <Project Path=\"src/Lib/Lib.csproj\" />\n  <Project Path=\"test/Lib.Tests/Lib.Tests.csproj\" />\n</Solution>\n");
            Write(".gitignore", "bin/\nobj/\n");
            Git("init", "-q");
            Git("add", "-A");
            Git("commit", "-qm", "The library");
        }

        public string Root { get; }
        public string Feed { get; }

        public string Path(string relative) => System.IO.Path.Combine(Root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

        public BuildRun Build(string target, IDictionary<string, string> properties) => MSBuildHost.Build(Path("src/Lib/Lib.csproj"), target, properties);

        public string GitStatus() => Git("status", "--porcelain").TrimEnd();

        private void Write(string relative, string content)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path(relative))!);
            File.WriteAllText(Path(relative), content);
        }

        private string Git(params string[] arguments)
        {
            var (exitCode, output) = Shell.RunIn(Root, "git", ["-c", "user.name=t", "-c", "user.email=t@t", .. arguments]);
            Assert.True(exitCode == 0, output);
            return output;
        }

        public void Dispose()
        {
            Shell.RemoveKeptVolumes(_top);
            try
            {
                Directory.Delete(_top, recursive: true);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
