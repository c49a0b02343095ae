using System.Security.Cryptography;
using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// The preset targets end to end: the real Claude Code CLI driven by the scripted API, and every build of the
/// project inside the sandbox, on a local stand-in for the .NET SDK image.
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed class PresetEndToEndTests
{
    private const string BrokenProgram = "Console.WriteLine(\"Hello, World!\")\n";
    private const string FixedProgram = "Console.WriteLine(\"Hello, World!\");\n";

    private static Dictionary<string, string> Properties(params (string Name, string Value)[] more) =>
        SandboxProperties.ForSandboxBuilds(more);

    [DockerFact]
    public async Task AgentFixHandsTheBuildErrorsToTheAgentAndEndsWithACleanBuild()
    {
        const string apiKey = "sk-ant-e2e-fix";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Edit", new { file_path = "/workspace/Program.cs", old_string = "World!\")", new_string = "World!\");" }),
            new TextTurn("Added the missing semicolon."),
        ], apiKey);
        using var summaryFile = new TempFile();
        using var environment = new EnvironmentScope(new Dictionary<string, string?>
        {
            ["ANTHROPIC_API_KEY"] = apiKey, ["ANTHROPIC_BASE_URL"] = api.BaseUrl.ToString(), ["GITHUB_STEP_SUMMARY"] = summaryFile.Path,
        });
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "Program.cs"), BrokenProgram);

        var run = project.Build("AgentFix", Properties());

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(FixedProgram, File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));

        // The agent got the sandbox build's own error, with file, line and code.
        var turn = api.Requests.First(r => r.Kind == RequestKind.ConversationTurn).Body!.ToJsonString();
        Assert.Contains("Program.cs(1,", turn);
        Assert.Contains("error CS1002", turn);

        Assert.Contains(run.Messages, m => m.Text == "AgentFix for Sample: iteration 1/3: the build has 1 error and 0 warnings.");
        Assert.Contains(run.Messages, m => m.Text == "AgentFix for Sample: the build is clean after 1 iteration.");
        // One build before the round and one after it: the round itself does not verify again.
        Assert.Equal(2, run.Messages.Count(m => m.Text == "AgentFix for Sample: dotnet build inside the sandbox."));
        Assert.Contains(run.MessageLines, line => line.StartsWith("AgentFix for Sample: Claude Code 2.1.328 succeeded: 1 iteration, 2 turns", StringComparison.Ordinal)
            && line.EndsWith("1 file changed; dotnet build passed.", StringComparison.Ordinal));

        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentFix", "result.json")));
        var root = result.RootElement;
        Assert.True(root.GetProperty("success").GetBoolean());
        Assert.Equal("AgentFix", root.GetProperty("target").GetString());
        var iteration = Assert.Single(root.GetProperty("iterations").EnumerateArray());
        Assert.Equal(1, iteration.GetProperty("errors").GetInt32());
        Assert.True(root.GetProperty("verification").GetProperty("succeeded").GetBoolean());
        Assert.Equal("build", root.GetProperty("verification").GetProperty("mode").GetString());

        var item = Assert.Single(run.Items("AgentResult"));
        Assert.Equal("true", item.GetMetadataValue("Success"));
        Assert.Equal("1", item.GetMetadataValue("Iterations"));
        Assert.Equal("Program.cs", item.GetMetadataValue("ChangedFiles"));
        Assert.Equal("passed", item.GetMetadataValue("Verification"));

        var summary = File.ReadAllText(summaryFile.Path);
        Assert.Contains("### ✅ AgentFix for Sample: Claude Code 2.1.328 succeeded", summary);
        Assert.Contains("| `Program.cs` | modified |", summary);
        Assert.DoesNotContain(apiKey, summary);

        // The sandbox built a copy: no bin/obj of a Linux container build in the user's tree (obj/agent is ours).
        Assert.False(Directory.Exists(Path.Combine(project.Directory, "bin")));
        Assert.Equal(["agent"], Directory.GetDirectories(Path.Combine(project.Directory, "obj")).Select(Path.GetFileName));
        Assert.Empty(Shell.LeftoverContainers(project.Directory));
    }

    [DockerFact]
    public async Task AgentFixWorksAcrossProjectsByDefaultAndRefusesAnAgentWorkspaceRootThatLeavesOneOut()
    {
        const string apiKey = "sk-ant-e2e-fix-root";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Edit", new { file_path = "/workspace/Lib/Greeter.cs", old_string = "\"Hello\" }", new_string = "\"Hello\"; }" }),
            new TextTurn("Fixed Greeter.cs."),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject(extraItems: "<ProjectReference Include=\"../Lib/Lib.csproj\" />");
        var root = Path.GetDirectoryName(project.Directory)!;
        Directory.CreateDirectory(Path.Combine(root, "Lib"));
        File.WriteAllText(Path.Combine(root, "Lib", "Lib.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(root, "Lib", "Greeter.cs"), "public static class Greeter { public static string Greeting() { return \"Hello\" } }\n");
        File.WriteAllText(Path.Combine(project.Directory, "Program.cs"), "Console.WriteLine(Greeter.Greeting());\n");

        // Narrowed to the project directory, the sibling project is out of reach: the run says so before anything runs.
        var confined = project.Build("AgentFix", Properties(("AgentWorkspaceRoot", ".")));

        Assert.False(confined.Succeeded, confined.Log);
        var error = Assert.Single(confined.Errors);
        Assert.Equal("AGS1018", error.Code);
        Assert.Contains($"set AgentWorkspaceRoot to {root}, which holds it", error.Text);
        Assert.DoesNotContain(confined.Messages, m => m.Text.Contains("dotnet build inside the sandbox", StringComparison.Ordinal));
        Assert.DoesNotContain(api.Requests, r => r.Kind == RequestKind.ConversationTurn);

        // By default the workspace holds what the project references.
        var run = project.Build("AgentFix", Properties());

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, m => m.Text.Contains($"workspace {root}, which holds the project and what its build reads", StringComparison.Ordinal));
        Assert.Contains("return \"Hello\"; }", File.ReadAllText(Path.Combine(root, "Lib", "Greeter.cs")));
        var turn = api.Requests.First(r => r.Kind == RequestKind.ConversationTurn).Body!.ToJsonString();
        Assert.Contains("/workspace/Sample/Sample.csproj", turn);
        Assert.Contains("Lib/Greeter.cs(1,", turn);
        Assert.Contains("  modified: Lib/Greeter.cs", run.MessageLines);
        Assert.Equal([Path.Combine(root, "Lib", "Greeter.cs")], run.ChangedFiles.Select(item => item.ItemSpec));
    }

    [DockerFact]
    public void AgentFixWhoseNuGetConfigIsAboveTheWorkspaceStopsBeforeTheFirstRoundNamingIt()
    {
        // README's own sample before the workspace followed the build's inputs: the feed is named in a nuget.config
        // above the project, which AgentWorkspaceRoot keeps out of the sandbox.
        // No network in the sandbox: the restore fails at once, and nothing leaves this machine.
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject(extraItems: "<PackageReference Include=\"AgentSandbox.Test.OnlyInTheParentFeed\" Version=\"1.0.0\" />");
        var config = Path.Combine(Path.GetDirectoryName(project.Directory)!, "nuget.config");
        File.WriteAllText(config, "<configuration><packageSources><clear /><add key=\"local\" value=\"feed\" /></packageSources></configuration>");
        var marker = Path.Combine(project.Directory, "agent-ran.txt");

        var run = project.Build("AgentFix", Properties(
            ("AgentNetwork", "none"), ("AgentKind", "custom"), ("AgentCommand", "sh;-c;touch agent-ran.txt"), ("AgentWorkspaceRoot", ".")));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4007", error.Code);
        Assert.Contains(config, error.Text);
        Assert.Matches("NU1(301|10[0-3]): ", error.Text);
        Assert.False(File.Exists(marker), "no agent round may run on a restore failure");
        Assert.DoesNotContain(run.Messages, m => m.Text.Contains("iteration 1/", StringComparison.Ordinal));
    }

    [DockerFact]
    public void RestoreTextFromTheSandboxReachesTheLogWithoutControlCharacters()
    {
        // Whatever the sandbox build prints may be the agent's doing (a target it planted): a restore error that carries
        // a carriage return, a GitHub Actions command and a terminal escape must not reach the log as such.
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "Directory.Build.targets"), """
            <Project>
              <Target Name="Planted" BeforeTargets="Restore;_GenerateRestoreGraph">
                <Error Code="NU1101" Text="Unable to find package x&#27;[2J&#27;]0;owned&#7;&#13;::error file=Program.cs,line=1::owned" />
              </Target>
            </Project>
            """);

        var run = project.Build("AgentFix", Properties(("AgentNetwork", "none"), ("AgentKind", "custom"), ("AgentCommand", "true")));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4011", error.Code);
        Assert.True(error.Text.Contains("owned", StringComparison.Ordinal), error.Text);
        Assert.DoesNotContain(error.Text, c => char.IsControl(c) && c != '\n');
        Assert.DoesNotContain(run.Messages.Select(m => m.Text), text => text.Any(c => c is '\r' or '\u001b'));
    }

    [DockerFact]
    public async Task AgentFixStopsAfterAgentMaxIterationsWithTheErrorsAtTheirLines()
    {
        const string apiKey = "sk-ant-e2e-fix-fails";
        // A model that only talks: the error stays.
        await using var api = FakeAnthropicApi.Start([new TextTurn("I looked at it.")], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "Program.cs"), BrokenProgram);

        var run = project.Build("AgentFix", Properties(("AgentMaxIterations", "1")));

        Assert.False(run.Succeeded, run.Log);
        Assert.Contains(run.Errors, e => e.Code == "AGS4005" && e.Text.Contains("after 1 iteration(s)"));
        var compilerError = Assert.Single(run.Errors, e => e.Code == "CS1002");
        Assert.Equal(Path.Combine(project.Directory, "Program.cs"), compilerError.File);
        Assert.Equal(1, compilerError.Line);
        Assert.Contains(run.Messages, m => m.Text == "AgentFix for Sample: the build still has 1 error after 1 iteration (AgentMaxIterations).");
    }

    [DockerFact]
    public async Task AgentRefactorThatBreaksTheBuildFailsWithAGS4004()
    {
        const string apiKey = "sk-ant-e2e-refactor";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Edit", new { file_path = "/workspace/Program.cs", old_string = "World!\");", new_string = "World!\")" }),
            new TextTurn("Refactored."),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        var run = project.Build("AgentRefactor", Properties(("AgentPrompt", "Tidy up Program.cs"), ("AgentRefactorScope", "Program.cs")));

        Assert.False(run.Succeeded, run.Log);
        var turn = api.Requests.First(r => r.Kind == RequestKind.ConversationTurn).Body!.ToJsonString();
        Assert.Contains("Tidy up Program.cs", turn);
        Assert.Contains("Keep the behaviour exactly as it is", turn);
        var error = Assert.Single(run.Errors, e => e.Code == "AGS4004");
        Assert.Contains("After AgentRefactor, dotnet build fails inside the sandbox", error.Text);
        Assert.Contains(run.Errors, e => e.Code == "CS1002" && e.Line == 1);
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRefactor", "result.json")));
        Assert.False(result.RootElement.GetProperty("success").GetBoolean());
        // The agent ended well; the target failed on its verification.
        Assert.Equal(0, result.RootElement.GetProperty("exitCode").GetInt64());
        Assert.Equal("AGS4004", result.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(result.RootElement.GetProperty("verification").GetProperty("succeeded").GetBoolean());
    }

    [DockerFact]
    public async Task AgentTestWritesTestsThatDotnetTestRunsInsideTheSandbox()
    {
        const string apiKey = "sk-ant-e2e-test";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Write", new { file_path = "/workspace/Calc.Tests/CalcTests.cs", content = CalcTests("Assert.Equal(5, Calc.Add(2, 3));") }),
            new TextTurn("Added a test for Calc.Add."),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = CalcSolution();

        // No AgentWorkspaceRoot: the nuget.config and its feed above the project, and the referenced project, choose the workspace.
        var run = project.Build("AgentTest", Properties(("AgentTestScope", "Calc/Calc.cs")));

        Assert.True(run.Succeeded, run.Log);
        var turn = api.Requests.First(r => r.Kind == RequestKind.ConversationTurn).Body!.ToJsonString();
        Assert.Contains("Code to cover: Calc/Calc.cs.", turn);
        Assert.Contains(run.Messages, m => m.Text == "AgentTest for Calc.Tests: dotnet test inside the sandbox.");
        Assert.Contains(run.MessageLines, line => line.StartsWith("AgentTest for Calc.Tests: Claude Code 2.1.328 succeeded:", StringComparison.Ordinal)
            && line.EndsWith("1 file changed; dotnet test passed (1 test: 1 passed).", StringComparison.Ordinal));
        Assert.Contains("Passed!", run.Log);
        // The counts come from the test platform's report, which never reaches the log (a TRX file starts with a byte
        // order mark and "<?xml ", 77u/PD94bWwg in base64).
        Assert.DoesNotContain("77u/PD94bWwg", run.Log);
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentTest", "result.json")));
        var tests = result.RootElement.GetProperty("verification").GetProperty("tests");
        Assert.Equal((1, 1, 0), (tests.GetProperty("total").GetInt32(), tests.GetProperty("passed").GetInt32(), tests.GetProperty("failed").GetInt32()));
        Assert.Equal("Calc.Tests/Calc.Tests.csproj", Assert.Single(tests.GetProperty("projects").EnumerateArray()).GetString());
    }

    [DockerFact]
    public async Task AgentTestWhoseTestsFailIsAGS4004()
    {
        const string apiKey = "sk-ant-e2e-test-fails";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Write", new { file_path = "/workspace/Calc.Tests/CalcTests.cs", content = CalcTests("Assert.Equal(6, Calc.Add(2, 3));") }),
            new TextTurn("Added a test."),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = CalcSolution();

        var run = project.Build("AgentTest", Properties(("AgentWorkspaceRoot", "..")));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors, e => e.Code == "AGS4004");
        Assert.Contains("After AgentTest, dotnet test fails inside the sandbox", error.Text);
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentTest", "result.json")));
        Assert.Equal("test", result.RootElement.GetProperty("verification").GetProperty("mode").GetString());
        Assert.False(result.RootElement.GetProperty("verification").GetProperty("succeeded").GetBoolean());
    }

    [DockerFact]
    public async Task AgentFixRestoresFromTheFeedANuGetConfigAboveTheProjectNamesAndFixesTheReferencedProject()
    {
        const string apiKey = "sk-ant-e2e-fix-feed";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Edit", new { file_path = "/workspace/Calc/Calc.cs", old_string = "a + b }", new_string = "a + b; }" }),
            new TextTurn("Fixed Calc.cs."),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = CalcSolution();
        var calc = Path.Combine(Path.GetDirectoryName(project.Directory)!, "Calc", "Calc.cs");
        File.WriteAllText(calc, "public static class Calc { public static int Add(int a, int b) { return a + b } }\n");
        File.WriteAllText(Path.Combine(project.Directory, "CalcTests.cs"), CalcTests("Assert.Equal(5, Calc.Add(2, 3));"));

        var run = project.Build("AgentFix", Properties());

        Assert.True(run.Succeeded, run.Log);
        var turn = api.Requests.First(r => r.Kind == RequestKind.ConversationTurn).Body!.ToJsonString();
        Assert.Contains("Calc/Calc.cs(1,", turn);
        // The restore found its feed: no NU1101 (package not found) or NU1301 (feed unreachable) for the agent to chase.
        Assert.DoesNotMatch("NU1(10[0-3]|301)", turn);
        Assert.Contains("return a + b; }", File.ReadAllText(calc));
        Assert.Contains("  modified: Calc/Calc.cs", run.MessageLines);
    }

    /// <summary>
    /// A library and its xunit test project, restored inside the sandbox from a feed in the workspace: the machine's
    /// own package folder (/opt/nuget/packages), so no test reaches a registry.
    /// </summary>
    internal static TestProject CalcSolution()
    {
        var project = new TestProject(name: "Calc.Tests",
            extraProperties: "<IsPackable>false</IsPackable><IsTestProject>true</IsTestProject>",
            extraItems: """
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                <ProjectReference Include="../Calc/Calc.csproj" />
                """);
        File.Delete(Path.Combine(project.Directory, "Program.cs"));
        var root = Path.GetDirectoryName(project.Directory)!;
        Directory.CreateDirectory(Path.Combine(root, "Calc"));
        File.WriteAllText(Path.Combine(root, "Calc", "Calc.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(root, "Calc", "Calc.cs"), "public static class Calc { public static int Add(int a, int b) => a + b; }\n");
        File.WriteAllText(Path.Combine(root, "nuget.config"), """
            <configuration>
              <packageSources><clear /><add key="workspace" value="feed" /></packageSources>
            </configuration>
            """);
        Assert.Equal(0, Shell.Run("cp", "-r", "/opt/nuget/packages", Path.Combine(root, "feed")).ExitCode);
        return project;
    }

    internal static string CalcTests(string assertion) => $$"""
        using Xunit;

        public class CalcTests
        {
            [Fact]
            public void Adds() => {{assertion}}
        }

        """;

    [DockerFact]
    public async Task AgentReviewReportsFindingsAtTheirLinesAndLeavesTheFilesAsTheyWere()
    {
        const string apiKey = "sk-ant-e2e-review";
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Read", new { file_path = "/workspace/Program.cs" }),
            // A reviewer that tries to write anyway: only its own copy changes, and nothing comes back.
            new ToolUseTurn("Bash", new { command = "echo tampered >> Program.cs", description = "Try to edit" }),
            new TextTurn("""
                Two findings:
                - FINDING warning Program.cs:1: The greeting is hard-coded; read it from configuration.
                - `FINDING error /workspace/Program.cs:1: Output is not flushed before exit.`
                Summary: 2 findings.
                """),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();
        var before = Hashes(project.Directory);

        var run = project.Build("AgentReview", Properties(("AgentReviewFailOn", "none")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(before, Hashes(project.Directory));
        var program = Path.Combine(project.Directory, "Program.cs");
        var findings = run.Warnings.Where(w => w.Code == "AGS4201").ToList();
        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Equal((program, 1), (f.File, f.Line)));
        Assert.Contains(findings, f => f.Text == "The greeting is hard-coded; read it from configuration.");
        Assert.Contains(findings, f => f.Text == "error: Output is not flushed before exit.");
        var turn = api.Requests.First(r => r.Kind == RequestKind.ConversationTurn).Body!.ToJsonString();
        Assert.Contains(JsonSerializer.Serialize("FINDING <error|warning|info>")[1..^1], turn);

        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentReview", "result.json")));
        Assert.Equal(2, result.RootElement.GetProperty("findings").GetArrayLength());
        Assert.Equal(0, result.RootElement.GetProperty("changedFiles").GetArrayLength());
        Assert.Matches("^[0-9a-f]{64}$", result.RootElement.GetProperty("cache").GetProperty("key").GetString());
        Assert.False(result.RootElement.GetProperty("cache").GetProperty("hit").GetBoolean());
    }

    [DockerFact]
    public async Task AgentReviewOfAnUnchangedProjectIsSkippedWithTheSameFindingsAndAChangedFileRunsItAgain()
    {
        const string apiKey = "sk-ant-e2e-review-again";
        await using var api = FakeAnthropicApi.Start([new TextTurn("FINDING warning Program.cs:1: The greeting is hard-coded."), new TextTurn("FINDING warning Program.cs:2: A second line now.")], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();
        var program = Path.Combine(project.Directory, "Program.cs");
        var first = project.Build("AgentReview", Properties(("AgentReviewFailOn", "none")));
        var requests = api.Requests.Count;
        using var firstResult = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentReview", "result.json")));

        var again = project.Build("AgentReview", Properties(("AgentReviewFailOn", "none")));

        Assert.True(first.Succeeded, first.Log);
        Assert.True(again.Succeeded, again.Log);
        // Nothing the review reads changed: no request to the API, the same finding at its line, the run it repeats named.
        Assert.Equal(requests, api.Requests.Count);
        var finding = Assert.Single(again.Warnings, w => w.Code == "AGS4201");
        Assert.Equal((program, 1, "The greeting is hard-coded."), (finding.File, finding.Line, finding.Text));
        var repeated = firstResult.RootElement.GetProperty("cache").GetProperty("run").GetString();
        Assert.Contains(again.Messages, m => m.Text == $"AgentReview for Sample: skipped: nothing it reads changed since its last successful run ({repeated}); AgentForce=true runs it anyway.");
        using (var skipped = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentReview", "result.json"))))
        {
            var cache = skipped.RootElement.GetProperty("cache");
            Assert.True(cache.GetProperty("hit").GetBoolean());
            Assert.Equal(firstResult.RootElement.GetProperty("cache").GetProperty("key").GetString(), cache.GetProperty("key").GetString());
            Assert.Equal(repeated, cache.GetProperty("run").GetString());
            Assert.Equal(1, skipped.RootElement.GetProperty("findings").GetArrayLength());
        }

        // One changed file: the review runs again.
        File.AppendAllText(program, "Console.WriteLine(\"Again\");\n");
        var changed = project.Build("AgentReview", Properties(("AgentReviewFailOn", "none")));

        Assert.True(changed.Succeeded, changed.Log);
        Assert.True(api.Requests.Count > requests);
        Assert.Contains(changed.Warnings, w => w.Code == "AGS4201" && w.Text == "A second line now." && w.Line == 2);
    }

    [DockerFact]
    public async Task AScopedAgentReviewInMountModeIsSkippedWhileItsScopeIsUnchangedAndRepeatsItsOwnRecordNotResultJson()
    {
        const string apiKey = "sk-ant-e2e-review-mount";
        await using var api = FakeAnthropicApi.Start([new TextTurn("FINDING warning Program.cs:1: The greeting is hard-coded."), new TextTurn("FINDING warning Program.cs:2: A second line now.")], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();
        var program = Path.Combine(project.Directory, "Program.cs");
        var review = Properties(("AgentReviewFailOn", "none"), ("AgentWorkspaceMode", "mount"), ("AgentReviewScope", "Program.cs"));
        var first = project.Build("AgentReview", review);
        var requests = api.Requests.Count;
        // What an agent of another target could write in mount mode: result.json with findings of its own.
        var resultPath = Path.Combine(project.SandboxDirectory, "AgentReview", "result.json");
        File.WriteAllText(resultPath, File.ReadAllText(resultPath).Replace("The greeting is hard-coded.", "All is well.", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(project.Directory, "NOTES.md"), "Outside the review's scope.\n");

        var again = project.Build("AgentReview", review);

        Assert.True(first.Succeeded, first.Log);
        Assert.True(again.Succeeded, again.Log);
        Assert.Equal(requests, api.Requests.Count);
        Assert.Equal("The greeting is hard-coded.", Assert.Single(again.Warnings, w => w.Code == "AGS4201").Text);
        Assert.Contains(again.Messages, m => m.Text.StartsWith("AgentReview for Sample: skipped: nothing it reads changed", StringComparison.Ordinal));

        File.AppendAllText(program, "Console.WriteLine(\"Again\");\n");
        var changed = project.Build("AgentReview", review);

        Assert.True(changed.Succeeded, changed.Log);
        Assert.True(api.Requests.Count > requests);
        Assert.Contains(changed.Warnings, w => w.Code == "AGS4201" && w.Text == "A second line now." && w.Line == 2);
    }

    [DockerFact]
    public async Task AgentReviewFailsTheBuildOnErrorFindingsByDefault()
    {
        const string apiKey = "sk-ant-e2e-review-fail";
        await using var api = FakeAnthropicApi.Start([new TextTurn("FINDING error Program.cs:1: Unchecked input.\nFINDING info Program.cs:1: Consider a named constant.")], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        var run = project.Build("AgentReview", Properties());

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal(("AGS4201", "Unchecked input.", 1), (error.Code, error.Text, error.Line));
        Assert.Contains(run.Warnings, w => w.Code == "AGS4201" && w.Text == "info: Consider a named constant.");
    }

    [DockerFact]
    public async Task AgentReviewWithNeitherFindingsNorNoFindingsIsAGS4009()
    {
        const string apiKey = "sk-ant-e2e-review-prose";
        await using var api = FakeAnthropicApi.Start([new TextTurn("The code looks fine to me overall.")], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        var run = project.Build("AgentReview", Properties(("AgentReviewFailOn", "none")));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4009", error.Code);
        Assert.Contains("without saying NO FINDINGS", error.Text);
    }

    private static Dictionary<string, string> Hashes(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(path => Path.GetRelativePath(directory, path), path => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));

    private sealed class TempFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.GetTempFileName();

        public void Dispose() => File.Delete(Path);
    }
}
