using AgentSandbox.Errors;
using AgentSandbox.Presets;
using AgentSandbox.Reporting;
using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentFix's rounds of sandbox build and agent run, against the fake engine.</summary>
public sealed class FixLoopTests : IDisposable
{
    private const string Broken = "/tmp/agentsandbox-build/Program.cs(1,35): error CS1002: ; expected [/tmp/agentsandbox-build/App.csproj]";
    private const string Warned = "/tmp/agentsandbox-build/Program.cs(1,1): warning CS8321: unused [/tmp/agentsandbox-build/App.csproj]";

    private readonly TempDirectory _temp = new();
    private readonly FakeEngine _engine = new();
    private readonly RecordingLog _log = new();

    public FixLoopTests() => _temp.Write("Program.cs", "Console.WriteLine(\"Hello\")\n");

    public void Dispose() => _temp.Dispose();

    /// <summary>A custom agent: its prompt is its last argument, its words are its output lines.</summary>
    private AgentRunSpec Spec(int maxIterations = 3, string? projectDirectory = null, string? workspaceRoot = null) => Specs.RunSpec(Specs.Run(projectDirectory ?? _temp.Path, prompt: null, "AgentFix") with
    {
        WorkspaceRoot = workspaceRoot,
        AgentKind = "custom",
        AgentCommand = "fixer",
        ProjectFile = _temp.Combine("App.csproj"),
        MaxIterations = maxIterations.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private Task<AgentRunResult> Run(AgentRunSpec spec) =>
        new FixLoop(AgentRunner.Default).RunAsync(spec, "agentsandbox:0123456789abcdef", _engine, _log, CancellationToken.None);

    private static ContainerScript Build(params string[] output) => new(output.Any(line => line.Contains(": error ", StringComparison.Ordinal)) ? 1 : 0, output);

    private ContainerScript AgentFixes() => new(0, ["Added the semicolon."], Effect: workspace => TempDirectory.WriteIn(workspace, "Program.cs", "Console.WriteLine(\"Hello\");\n"));

    private IEnumerable<string> Purposes => _engine.Containers.Select(container => container.Labels["org.agentsandbox.purpose"]);

    [Fact]
    public async Task A_clean_build_runs_no_agent()
    {
        _engine.ThenRun(Build("Build succeeded."));

        var result = await Run(Spec());

        Assert.True(result.Success);
        Assert.Equal(["build"], Purposes);
        Assert.Empty(result.Iterations!);
        Assert.Contains("AgentFix for App: the build is clean; there was nothing to fix.", _log.Important);
    }

    [Fact]
    public async Task The_builds_errors_go_to_the_agent_and_the_loop_ends_when_the_build_is_clean()
    {
        _engine.ThenRun(Build(Warned, Broken)).ThenRun(AgentFixes()).ThenRun(Build("Build succeeded."));

        var result = await Run(Spec());

        Assert.True(result.Success);
        Assert.Equal(["build", "agent", "build"], Purposes);
        var prompt = _engine.Containers[1].Command[^1];
        Assert.True(prompt.IndexOf("error CS1002", StringComparison.Ordinal) < prompt.IndexOf("warning CS8321", StringComparison.Ordinal), prompt);
        Assert.Equal([new FixIteration(1, 1, 1, true, null, null, result.Iterations![0].DurationMs)], result.Iterations);
        Assert.Equal([new ChangedFile("Program.cs", FileChange.Modified)], result.ChangedFiles);
        Assert.True(result.Verification!.Succeeded);
        Assert.Null(RunReport.Verdict(result, Spec(), "result.json"));
    }

    [Fact]
    public async Task It_stops_after_AgentMaxIterations_with_AGS4005()
    {
        _engine.ThenRun(Build(Broken)).ThenRun(new ContainerScript(0, ["Tried."]))
            .ThenRun(Build(Broken)).ThenRun(new ContainerScript(0, ["Tried again."]))
            .ThenRun(Build(Broken));

        var result = await Run(Spec(maxIterations: 2));

        Assert.False(result.Success);
        Assert.Equal(["build", "agent", "build", "agent", "build"], Purposes);
        Assert.Equal(2, result.Iterations!.Count);
        Assert.Equal("AGS4005", ((AgentSandboxException)RunReport.Verdict(result, Spec(), "result.json")!).Code);
    }

    [Fact]
    public async Task A_build_that_fails_without_diagnostics_is_AGS4010_before_any_round()
    {
        _engine.ThenRun(new ContainerScript(1, ["Segmentation fault"]));

        var result = await Run(Spec());

        Assert.Equal("AGS4010", Assert.IsType<AgentSandboxException>(result.Failure).Code);
        Assert.Equal(["build"], Purposes);
        Assert.Contains(result.Errors, error => error.StartsWith("AGS4010: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_round_ends_the_loop_without_another_build()
    {
        _engine.ThenRun(Build(Broken)).ThenRun(new ContainerScript(2, ["I give up."]));

        var result = await Run(Spec());

        Assert.False(result.AgentSucceeded);
        Assert.Equal(["build", "agent"], Purposes);
        Assert.Equal("AGS4002", ((AgentSandboxException)RunReport.Verdict(result, Spec(), "result.json")!).Code);
    }

    [Fact]
    public async Task A_round_that_plants_git_metadata_gets_no_further_round()
    {
        _engine.ThenRun(Build(Broken)).ThenRun(new ContainerScript(0, ["Done."], Effect: workspace => TempDirectory.WriteIn(workspace, "sub/.git/config", "[core]\n")));

        var result = await Run(Spec());

        Assert.False(result.Success);
        Assert.Equal(["build", "agent"], Purposes);
        Assert.NotNull(result.PlantedGitMetadata);
        Assert.True(Directory.Exists(_temp.Combine("sub/.git.quarantined-by-agentsandbox")));
    }

    [Fact]
    public async Task Rounds_add_up_and_changes_count_from_before_the_first()
    {
        _engine.ThenRun(Build(Broken))
            .ThenRun(new ContainerScript(0, ["Half."], Effect: workspace => TempDirectory.WriteIn(workspace, "New.cs", "class A {}\n")))
            .ThenRun(Build(Broken))
            .ThenRun(new ContainerScript(0, ["Done."], Effect: workspace => TempDirectory.WriteIn(workspace, "New.cs", "class B {}\n")))
            .ThenRun(Build("Build succeeded."));

        var result = await Run(Spec());

        Assert.True(result.Success);
        Assert.Equal([new ChangedFile("New.cs", FileChange.Added)], result.ChangedFiles);
        Assert.Equal(2, result.Iterations!.Count);
        Assert.Equal("Done.", result.FinalText);
    }

    private const string NotFound = "/tmp/agentsandbox-build/App.csproj : error NU1101: Unable to find package AgentSandbox.Sdk. No packages exist with this id in source(s): nuget.org [/tmp/agentsandbox-build/App.csproj]";

    [Fact]
    public async Task A_package_no_feed_has_is_AGS4011_before_any_round()
    {
        _engine.ThenRun(Build(NotFound));

        var result = await Run(Spec());

        var failure = Assert.IsType<AgentSandboxException>(result.Failure);
        Assert.Equal("AGS4011", failure.Code);
        Assert.Contains("NU1101: Unable to find package AgentSandbox.Sdk", failure.Message);
        Assert.Equal(["build"], Purposes);
    }

    [Fact]
    public async Task A_restore_failure_names_the_nuget_config_above_the_workspace_as_AGS4007()
    {
        var config = _temp.Write("NuGet.Config", "<configuration />");
        var project = _temp.CreateDirectory("App");
        _engine.ThenRun(Build(NotFound));

        // By default the workspace would hold the config: here AgentWorkspaceRoot keeps it out.
        var result = await Run(Spec(projectDirectory: project, workspaceRoot: project));

        var failure = Assert.IsType<AgentSandboxException>(result.Failure);
        Assert.Equal("AGS4007", failure.Code);
        Assert.Contains(config, failure.Message);
        Assert.Contains("AgentWorkspaceRoot", failure.Message);
        Assert.Equal(["build"], Purposes);
    }

    [Fact]
    public async Task A_nuget_config_inside_the_workspace_is_no_excuse()
    {
        _temp.Write("nuget.config", "<configuration />");
        var project = _temp.CreateDirectory("App");
        _engine.ThenRun(Build(NotFound));

        var result = await Run(Specs.RunSpec(Specs.Run(project, prompt: null, "AgentFix") with { AgentKind = "custom", AgentCommand = "fixer", WorkspaceRoot = ".." }));

        Assert.Equal("AGS4011", Assert.IsType<AgentSandboxException>(result.Failure).Code);
    }

    [Fact]
    public async Task An_unreachable_feed_is_AGS4006_naming_the_network()
    {
        _engine.ThenRun(Build("/tmp/agentsandbox-build/App.csproj : error NU1301: Unable to load the service index for source https://feed.example/v3/index.json. [/tmp/agentsandbox-build/App.csproj]"));

        var result = await Run(Spec());

        var failure = Assert.IsType<AgentSandboxException>(result.Failure);
        Assert.Equal("AGS4006", failure.Code);
        Assert.Contains("https://feed.example/v3/index.json", failure.Message);
        Assert.Contains("'bridge'", failure.Message);
    }
}
