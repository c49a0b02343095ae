using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Inputs;
using AgentSandbox.Pipeline;
using AgentSandbox.Sdk.TestSupport;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>An agent target from its spec to its report, against the fake engine: no Docker, a real workspace on disk.</summary>
public sealed class AgentTargetPipelineTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeEngine _engine = new();
    private readonly RecordingLog _log = new();

    public AgentTargetPipelineTests() => _temp.Write("Program.cs", "Console.WriteLine(\"Hello, World!\");\n");

    public void Dispose() => _temp.Dispose();

    private string ResultPath => _temp.Combine("obj/agent/AgentRun/result.json");

    private static IReadOnlyList<string> Recording(string name) => File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Recordings", name));

    private async Task<AgentTargetOutcome> Run(SandboxInputs inputs)
    {
        var spec = Specs.Create(inputs with { BaseImage = "base:1" }).Spec;
        var context = SandboxBuildContext.FromSpec(spec.Image);
        return await new AgentTargetPipeline(_engine, _engine, _log).RunAsync(spec, context, ResultPath, CancellationToken.None);
    }

    /// <summary>What Claude Code printed for the edit it made, and the edit itself.</summary>
    private ContainerScript ClaudeEdits() => new(0, Recording("claude-2.1.328-edit.jsonl"),
        Effect: workspace => TempDirectory.WriteIn(workspace, "Program.cs", "Console.WriteLine(\"Hello, Agent!\");\n"));

    [Fact]
    public async Task The_image_is_built_then_the_agent_runs_and_its_edit_is_reported_and_written_to_a_valid_result()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(ClaudeEdits());

        var outcome = await Run(Specs.Run(_temp.Path, "Change the greeting"));

        Assert.Null(outcome.Error);
        Assert.True(outcome.Result.Success);
        Assert.Equal([new ChangedFile("Program.cs", FileChange.Modified)], outcome.Result.ChangedFiles);
        var tag = outcome.Result.Image;
        Assert.Equal(["inspect base:1", $"inspect {tag}", $"inspect {tag}", $"build {tag}", $"inspect {tag}", "run agent"], _engine.Calls);
        ResultSchema.AssertValid(File.ReadAllText(ResultPath));
        Assert.Contains(_log.Important, line => line.StartsWith("AgentRun for App: Claude Code 2.1.328 succeeded: ", StringComparison.Ordinal));
        Assert.Contains(_log.Important, message => message.Split('\n').Contains("  modified: Program.cs"));
        Assert.Contains("  Edit Program.cs", _log.Info);
    }

    [Fact]
    public async Task The_agents_container_gets_the_prompt_the_credential_and_the_runs_labels()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(ClaudeEdits());

        await Run(Specs.Run(_temp.Path, "Change the greeting"));

        var container = Assert.Single(_engine.Containers);
        Assert.Equal(["--", "Change the greeting"], container.Command.TakeLast(2));
        Assert.Equal("sk-fake-key", container.Environment["ANTHROPIC_API_KEY"]);
        Assert.Equal(Specs.Identity.RunId, container.Labels["org.agentsandbox.run"]);
        Assert.Equal(Specs.Identity.RunId, _engine.Builds.Single().Labels["org.agentsandbox.run"]);
        Assert.Equal("true", _engine.Builds.Single().Labels["org.agentsandbox.generated"]);
        // Copy mode: the tree goes in and comes back through the engine; nothing of the host is mounted.
        Assert.Empty(container.Mounts);
        Assert.Equal("/workspace", container.Files?.Folder);
        Assert.NotNull(container.Files?.Received);
    }

    [Fact]
    public async Task In_mount_mode_the_agents_container_gets_the_workspace_mounted_read_write()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(ClaudeEdits());

        var outcome = await Run(Specs.Run(_temp.Path, "Change the greeting") with { WorkspaceMode = "mount" });

        var container = Assert.Single(_engine.Containers);
        Assert.Equal(_temp.Path, container.Mounts[0].Source);
        Assert.False(container.Mounts[0].ReadOnly);
        Assert.Null(container.Files);
        Assert.Null(outcome.Result.Applied);
        Assert.Contains("Hello, Agent!", File.ReadAllText(_temp.Combine("Program.cs")));
    }

    [Fact]
    public async Task A_root_agent_in_mount_mode_is_AGS4101_when_it_runs_and_a_skipped_run_warns_of_nothing()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(new ContainerScript(0, ["looked"]));
        var inputs = Specs.Run(_temp.Path, "Look") with { WorkspaceMode = "mount", User = "0:0", AgentKind = "custom", AgentCommand = "looker" };

        var ran = await Run(inputs);
        var warnedWhenRan = _log.Warnings.Count(warning => warning.Code == "AGS4101");
        var skipped = await Run(inputs);

        Assert.Equal(1, warnedWhenRan);
        Assert.True(skipped.Result.Cache?.Hit, string.Join("\n", _log.Important));
        Assert.Equal(1, _log.Warnings.Count(warning => warning.Code == "AGS4101"));
        Assert.Single(_engine.Containers);
        Assert.False(ran.Result.Cache?.Hit);
    }

    [Fact]
    public async Task A_successful_copy_mode_run_applies_its_changes_and_keeps_a_patch_that_undoes_them()
    {
        _engine.Images.Add("base:1");
        _temp.Write("Old.cs", "class Old {}\n");
        _engine.ThenRun(new ContainerScript(0, Recording("claude-2.1.328-edit.jsonl"), Effect: workspace =>
        {
            TempDirectory.WriteIn(workspace, "Program.cs", "Console.WriteLine(\"Hello, Agent!\");\n");
            TempDirectory.WriteIn(workspace, "src/New.cs", "class New {}\n");
            File.Delete(Path.Combine(workspace, "Old.cs"));
        }));

        var outcome = await Run(Specs.Run(_temp.Path, "Change the greeting"));

        Assert.True(outcome.Result.Success, string.Join("\n", _log.Important));
        Assert.True(outcome.Result.Applied);
        Assert.Equal("Console.WriteLine(\"Hello, Agent!\");\n", File.ReadAllText(_temp.Combine("Program.cs")));
        Assert.Equal("class New {}\n", File.ReadAllText(_temp.Combine("src/New.cs")));
        Assert.False(File.Exists(_temp.Combine("Old.cs")));
        var patch = _temp.Combine("obj/agent/AgentRun/changes.patch");
        Assert.Equal(patch, outcome.Result.PatchFile);
        Assert.Contains(_log.Important, line => line == $"AgentRun for App: applied 3 changes to {_temp.Path} (git apply -R {patch} undoes them).");

        Assert.Equal(0, Git(_temp.Path, "apply", "-R", patch));
        Assert.Equal("Console.WriteLine(\"Hello, World!\");\n", File.ReadAllText(_temp.Combine("Program.cs")));
        Assert.Equal("class Old {}\n", File.ReadAllText(_temp.Combine("Old.cs")));
        Assert.False(File.Exists(_temp.Combine("src/New.cs")));
    }

    [Fact]
    public async Task A_failed_copy_mode_run_leaves_the_tree_as_it_was_and_offers_its_changes_as_a_patch()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(new ContainerScript(1, Recording("claude-2.1.328-maxturns.jsonl"),
            Effect: workspace => TempDirectory.WriteIn(workspace, "Program.cs", "half done\n")));

        var outcome = await Run(Specs.Run(_temp.Path));

        Assert.Equal("AGS4002", Assert.IsType<AgentSandboxException>(outcome.Error).Code);
        Assert.False(outcome.Result.Applied);
        Assert.Equal("Console.WriteLine(\"Hello, World!\");\n", File.ReadAllText(_temp.Combine("Program.cs")));
        var patch = _temp.Combine("obj/agent/AgentRun/changes.patch");
        Assert.Contains("+half done", File.ReadAllText(patch));
        Assert.Contains(_log.Important, line => line.Contains($"nothing was applied to your tree; the agent's changes are in {patch} (git apply {patch} takes them)", StringComparison.Ordinal));
        Assert.Contains(_log.Important, line => line.Contains("1 file changed, not applied", StringComparison.Ordinal));
        ResultSchema.AssertValid(File.ReadAllText(ResultPath));
        Assert.Contains("\"applied\": false", File.ReadAllText(ResultPath));
    }

    [Theory]
    [InlineData("Directory.Build.targets", "AGS4012")]
    [InlineData("src/App.csproj", "AGS4012")]
    [InlineData("NuGet.Config", "AGS4012")]
    [InlineData(".github/workflows/ci.yml", "AGS4012")]
    [InlineData("sub/.git/config", "AGS4008")]
    [InlineData("evil\nname.cs", "AGS4014")]
    public async Task A_change_the_check_refuses_fails_the_run_and_nothing_is_applied(string path, string code)
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(new ContainerScript(0, Recording("claude-2.1.328-edit.jsonl"), Effect: workspace =>
        {
            TempDirectory.WriteIn(workspace, "Program.cs", "Console.WriteLine(\"Hello, Agent!\");\n");
            TempDirectory.WriteIn(workspace, path, "<Project />\n");
        }));

        var outcome = await Run(Specs.Run(_temp.Path, "Change the greeting") with { ProtectedPaths = ["**/*.targets", "**/*.csproj", "**/nuget.config", "**/.github/**"] });

        Assert.False(outcome.Result.Success);
        Assert.False(outcome.Result.Applied);
        Assert.Equal("Console.WriteLine(\"Hello, World!\");\n", File.ReadAllText(_temp.Combine("Program.cs")));
        Assert.False(File.Exists(_temp.Combine(path)));
        Assert.True(_log.Problems.Any(problem => problem.Code == code && problem.IsError), outcome.Error?.ToString());
        ResultSchema.AssertValid(File.ReadAllText(ResultPath));
        Assert.Contains($"\"code\": \"{code}\"", File.ReadAllText(ResultPath));
    }

    [Fact]
    public async Task AgentAllowProtectedChanges_lets_a_project_file_change_through()
    {
        _engine.Images.Add("base:1");
        _temp.Write("App.csproj", "<Project />\n");
        _engine.ThenRun(new ContainerScript(0, Recording("claude-2.1.328-edit.jsonl"),
            Effect: workspace => TempDirectory.WriteIn(workspace, "App.csproj", "<Project><ItemGroup><PackageReference Include=\"X\" /></ItemGroup></Project>\n")));

        var outcome = await Run(Specs.Run(_temp.Path, "Add X") with { ProtectedPaths = ["**/*.csproj"], AllowProtectedChanges = "true" });

        Assert.True(outcome.Result.Applied);
        Assert.Contains("PackageReference", File.ReadAllText(_temp.Combine("App.csproj")));
    }

    [Fact]
    public async Task A_file_the_user_edited_during_the_run_is_AGS4015_and_nothing_is_applied()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(new ContainerScript(0, Recording("claude-2.1.328-edit.jsonl"), Effect: workspace =>
        {
            TempDirectory.WriteIn(workspace, "Program.cs", "the agent's\n");
            _temp.Write("Program.cs", "the user's\n");
        }));

        var outcome = await Run(Specs.Run(_temp.Path, "Change the greeting"));

        Assert.Equal("AGS4015", Assert.IsType<AgentSandboxException>(outcome.Error).Code);
        Assert.Equal("the user's\n", File.ReadAllText(_temp.Combine("Program.cs")));
        Assert.False(outcome.Result.Applied);
    }

    private static int Git(string directory, params string[] arguments) => GitCommand.Run(directory, arguments)!.Value.ExitCode;

    [Fact]
    public async Task A_failing_agent_is_AGS4002_and_result_json_records_it()
    {
        _engine.Images.UnionWith(["base:1"]);
        _engine.ThenRun(new ContainerScript(1, Recording("claude-2.1.328-maxturns.jsonl")));

        var outcome = await Run(Specs.Run(_temp.Path));

        var error = Assert.IsType<AgentSandboxException>(outcome.Error);
        Assert.Equal("AGS4002", error.Code);
        Assert.False(outcome.Result.Success);
        var json = File.ReadAllText(ResultPath);
        ResultSchema.AssertValid(json);
        Assert.Contains("\"code\": \"AGS4002\"", json);
    }

    [Fact]
    public async Task When_the_image_cannot_be_made_result_json_says_why_instead_of_an_older_result()
    {
        _temp.Write("obj/agent/AgentRun/result.json", "{\"success\": true}");

        var error = await Assert.ThrowsAsync<AgentSandboxException>(() => Run(Specs.Run(_temp.Path)));

        Assert.Equal("AGS3001", error.Code);
        Assert.Empty(_engine.Containers);
        var json = File.ReadAllText(ResultPath);
        ResultSchema.AssertValid(json);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.False(document.RootElement.GetProperty("success").GetBoolean());
        Assert.Equal("AGS3001", document.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, document.RootElement.GetProperty("exitCode").ValueKind);
    }

    [Fact]
    public async Task A_review_that_fails_on_its_findings_records_AGS4201_in_result_json()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(new ContainerScript(0, ["FINDING error Program.cs:1: Greets the world.", "One finding."]));

        var outcome = await Run(Specs.Run(_temp.Path, prompt: null, "AgentReview") with { AgentKind = "custom", AgentCommand = "reviewer" });

        Assert.Null(outcome.Error);
        Assert.False(outcome.Result.Success);
        Assert.True(Assert.Single(_log.Problems).IsError);
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(ResultPath));
        Assert.Equal("AGS4201", document.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task AgentRefactor_verifies_in_a_build_container_without_the_agents_credentials()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(ClaudeEdits())
            .ThenRun(new ContainerScript(1, ["/tmp/agentsandbox-build/Program.cs(1,35): error CS1002: ; expected [/tmp/agentsandbox-build/App.csproj]"]));

        var outcome = await Run(Specs.Run(_temp.Path, "Tidy up", "AgentRefactor") with { ProjectFile = _temp.Combine("App.csproj") });

        Assert.Equal("AGS4004", Assert.IsType<AgentSandboxException>(outcome.Error).Code);
        var build = _engine.Containers[1];
        Assert.Equal("build", build.Labels["org.agentsandbox.purpose"]);
        Assert.DoesNotContain("ANTHROPIC_API_KEY", build.Environment.Keys);
        // The agent's tree, copied in: the build sees its edit, the user's tree has none yet.
        Assert.Empty(build.Mounts);
        Assert.NotNull(build.Files);
        Assert.Null(build.Files.Received);
        var problem = Assert.Single(_log.Problems);
        Assert.Equal(("CS1002", _temp.Combine("Program.cs"), 1), (problem.Code, problem.File, problem.Line));
    }

    [Fact]
    public async Task AgentRuntime_runs_every_container_with_the_runtime_the_engine_has()
    {
        _engine.Images.Add("base:1");
        _engine.Runtimes.Add("runsc");
        _engine.ThenRun(ClaudeEdits());

        await Run(Specs.Run(_temp.Path, "Change the greeting") with { Runtime = "runsc" });

        Assert.Equal("runsc", Assert.Single(_engine.Containers).Runtime);
        Assert.Empty(_log.Warnings);
    }

    [Fact]
    public async Task A_runtime_the_engine_does_not_have_falls_back_with_AGS4104_naming_the_ones_it_has()
    {
        _engine.Images.Add("base:1");
        _engine.ThenRun(ClaudeEdits());

        var outcome = await Run(Specs.Run(_temp.Path, "Change the greeting") with { Runtime = "runsc" });

        Assert.True(outcome.Result.Success);
        Assert.Null(Assert.Single(_engine.Containers).Runtime);
        var warning = Assert.Single(_log.Warnings);
        Assert.Equal("AGS4104", warning.Code);
        Assert.Contains("(it has runc)", warning.Message);
    }

    [Fact]
    public async Task Without_fallback_a_missing_runtime_is_AGS4018_before_any_container_and_the_result_says_so()
    {
        _engine.Images.Add("base:1");

        // Like an image that cannot be made: result.json says why, then the target fails with it.
        var error = await Assert.ThrowsAsync<AgentSandboxException>(() => Run(Specs.Run(_temp.Path, "Change the greeting") with { Runtime = "runsc", RuntimeFallback = "false" }));

        Assert.Equal("AGS4018", error.Code);
        Assert.Empty(_engine.Containers);
        Assert.Contains("\"code\": \"AGS4018\"", File.ReadAllText(ResultPath));
    }

    [Fact]
    public async Task A_network_that_does_not_exist_is_AGS4001_before_any_container_and_the_result_says_so()
    {
        _engine.Images.Add("base:1");

        var outcome = await Run(Specs.Run(_temp.Path) with { Network = "missing-net" });

        Assert.Equal("AGS4001", Assert.IsType<AgentSandboxException>(outcome.Error).Code);
        Assert.Empty(_engine.Containers);
        Assert.Contains("\"code\": \"AGS4001\"", File.ReadAllText(ResultPath));
    }
}
