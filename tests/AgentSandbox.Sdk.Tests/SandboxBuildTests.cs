using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The command of a build inside the sandbox: a fixed script that copies the workspace and runs dotnet with arguments.</summary>
public sealed class SandboxBuildTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private AgentRunSpec Spec(string? projectFile = "App.csproj", string? projectDirectory = null, string? workspaceRoot = null) =>
        Specs.RunSpec(Specs.Run(projectDirectory ?? _temp.Path, prompt: null, "AgentFix") with
        {
            ProjectFile = projectFile is null ? null : Path.Combine(projectDirectory ?? _temp.Path, projectFile),
            WorkspaceRoot = workspaceRoot,
        });

    private static string Script(IReadOnlyList<string> command) => command[2];

    [Fact]
    public void Build_command_is_a_shell_script_with_the_project_file_as_an_argument()
    {
        var command = SandboxBuild.Command(Spec(), VerifyMode.Build);

        Assert.Equal(["sh", "-c"], command.Take(2));
        Assert.Equal(["sh", "App.csproj", "-nologo", "-clp:NoSummary"], command.Skip(3));
        Assert.EndsWith("exec dotnet build \"$@\"", Script(command));
    }

    [Fact]
    public void Without_a_project_file_dotnet_finds_the_project_itself()
    {
        Assert.Equal(["sh", "-nologo", "-clp:NoSummary"], SandboxBuild.Command(Spec(projectFile: null), VerifyMode.Build).Skip(3));
        Assert.Equal(["sh", "frame", "vstest:."], SandboxBuild.Command(Spec(projectFile: null), VerifyMode.Test, "frame").Skip(3));
    }

    [Fact]
    public void Test_command_tests_each_test_project_that_covers_the_project_and_frames_their_reports()
    {
        var spec = Spec();
        spec = spec with { Preset = spec.Preset with { TestProjects = [new("test/A.Tests/A.Tests.csproj", TestPlatform.VSTest), new("test/B Tests/B.Tests.csproj", TestPlatform.TestingPlatformXunit)] } };

        var command = SandboxBuild.Command(spec, VerifyMode.Test, "@@frame");

        Assert.Equal(["sh", "@@frame", "vstest:test/A.Tests/A.Tests.csproj", "xunit:test/B Tests/B.Tests.csproj"], command.Skip(3));
        var script = Script(command);
        // Every project is tested (a failure does not stop the loop), each into a report folder of its own, with the report its platform writes.
        Assert.Contains("results=/tmp/agentsandbox-test-results/$n; ", script);
        Assert.Contains("vstest) set -- --logger 'trx;LogFilePrefix=agentsandbox' --results-directory \"$results\";; ", script);
        Assert.Contains("xunit) set -- \"-p:TestingPlatformCommandLineArguments=--report-xunit-trx --results-directory $results\";; ", script);
        Assert.Contains("dotnet test \"$project\" -nologo -clp:NoSummary \"$@\" || ", script);
        Assert.Contains("base64 \"$report\"", script);
        Assert.EndsWith("exit $status", script);
        Assert.DoesNotContain("A.Tests", script);
    }

    [Fact]
    public void Test_command_without_test_projects_tests_the_project_itself()
    {
        Assert.Equal(["sh", "f", "vstest:App.csproj"], SandboxBuild.Command(Spec(), VerifyMode.Test, "f").Skip(3));
    }

    [Fact]
    public void Project_file_below_the_workspace_root_is_given_relative_to_the_root()
    {
        var project = _temp.CreateDirectory("src/App");

        var command = SandboxBuild.Command(Spec(projectDirectory: project, workspaceRoot: _temp.Path), VerifyMode.Build);

        Assert.Equal("src/App/App.csproj", command[4]);
    }

    [Fact]
    public void Project_file_name_with_shell_characters_stays_one_argument_outside_the_script()
    {
        var plain = SandboxBuild.Command(Spec(), VerifyMode.Build);
        var odd = SandboxBuild.Command(Spec(projectFile: "My App;$(rm -rf x)`id`.csproj"), VerifyMode.Build);

        Assert.Equal("My App;$(rm -rf x)`id`.csproj", odd[4]);
        Assert.Equal(Script(plain), Script(odd));
        Assert.DoesNotContain("App", Script(odd));
    }

    [Fact]
    public void Script_copies_the_workspace_without_git_and_build_output_and_builds_the_copy()
    {
        var script = Script(SandboxBuild.Command(Spec(), VerifyMode.Build));

        Assert.Equal(
            "set -e; mkdir -p /tmp/agentsandbox-build; cd /workspace; " +
            "tar -c -f /tmp/agentsandbox-workspace.tar --exclude=./.git --exclude=./.vs --exclude=bin --exclude=obj .; " +
            "tar -x -f /tmp/agentsandbox-workspace.tar -C /tmp/agentsandbox-build; rm /tmp/agentsandbox-workspace.tar; " +
            "cd /tmp/agentsandbox-build; exec dotnet build \"$@\"",
            script);
    }

    [Fact]
    public void Script_builds_where_the_output_parser_makes_paths_relative()
    {
        var script = Script(SandboxBuild.Command(Spec(), VerifyMode.Build));

        Assert.Contains($"-C {SandboxBuild.BuildDirectory};", script);
        Assert.Contains($"cd {SandboxBuild.BuildDirectory};", script);
        Assert.Equal("src/A.cs", BuildOutputParser.Parse($"{SandboxBuild.BuildDirectory}/src/A.cs(1,1): error CS1: x", SandboxBuild.BuildDirectory)?.File);
    }

    [Fact]
    public async Task Test_reports_come_back_framed_in_the_output_never_reach_the_log_and_a_forged_frame_counts_nothing()
    {
        var spec = Specs.RunSpec(Specs.Run(_temp.Path) with { ProjectFile = _temp.Combine("App.csproj"), Network = "none" });
        const string Trx = """<?xml version="1.0"?><TestRun><Results><UnitTestResult testName="A.One" outcome="Passed" /><UnitTestResult testName="A.Two" outcome="NotExecuted" /></Results></TestRun>""";
        var encoded = Convert.ToBase64String([0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(Trx)]);
        var engine = new FakeEngine().ThenRun(request =>
        {
            var frame = request.Command[4];
            return new ContainerScript(0, ["Passed!", frame, encoded[..40], encoded[40..], frame, frame, "not a report", frame]);
        });
        var log = new RecordingLog();

        var result = await SandboxBuild.RunAsync(spec, "agentsandbox:0123456789abcdef", engine, VerifyMode.Test, log, CancellationToken.None);

        Assert.Equal((2, 1, 1), (result.Tests!.Total, result.Tests.Passed, result.Tests.Skipped));
        Assert.True(result.Succeeded);
        Assert.Equal(["Passed!"], result.OutputTail);
        Assert.DoesNotContain(log.Detail, line => line.Contains(encoded[..40], StringComparison.Ordinal) || line.Contains("not a report", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_standard_output_carries_reports_a_frame_on_standard_error_is_an_ordinary_line()
    {
        var spec = Specs.RunSpec(Specs.Run(_temp.Path) with { ProjectFile = _temp.Combine("App.csproj"), Network = "none" });
        var engine = new FakeEngine().ThenRun(request => new ContainerScript(0, ["Passed!"], Stderr: [request.Command[4], "on stderr", request.Command[4]]));
        var log = new RecordingLog();

        var result = await SandboxBuild.RunAsync(spec, "agentsandbox:0123456789abcdef", engine, VerifyMode.Test, log, CancellationToken.None);

        Assert.Contains("on stderr", log.Detail);
        Assert.Contains("on stderr", result.OutputTail);
        Assert.Equal(0, result.Tests!.Total);
    }
}
