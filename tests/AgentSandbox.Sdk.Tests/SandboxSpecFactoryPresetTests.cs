using System.Globalization;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Inputs;
using AgentSandbox.Presets;
using AgentSandbox.Project;
using AgentSandbox.Review;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The preset inputs (AgentVerify, AgentMaxIterations, …), AgentMaxBudgetUsd, custom agents, and settings an agent does not have.</summary>
public sealed class SandboxSpecFactoryPresetTests : IDisposable
{
    private static readonly HostUser User = new(1000, 1000);
    private static readonly Func<string, string?> WithKey = name => name == "ANTHROPIC_API_KEY" ? "sk-fake-key" : null;
    private static readonly Func<string, string?> NoVariables = _ => null;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private SandboxInputs Inputs(string? preset = null, string? prompt = null) =>
        Specs.Run(_temp.Path, prompt, "Agent" + (preset ?? "Run").Trim());

    private static (AgentRunSpec Spec, IReadOnlyList<Warning> Warnings) Create(SandboxInputs inputs, Func<string, string?>? host = null)
    {
        var (spec, warnings) = Specs.Create(inputs, host ?? WithKey, User);
        return (spec.Run!, warnings);
    }

    private static AgentSandboxException Fails(SandboxInputs inputs, Func<string, string?>? host = null) =>
        Assert.Throws<AgentSandboxException>(() => Create(inputs, host));

    [Theory]
    [InlineData("Refactor", nameof(AgentPreset.Refactor))]
    [InlineData("Test", nameof(AgentPreset.Test))]
    [InlineData("fix", nameof(AgentPreset.Fix))]
    [InlineData(" REVIEW ", nameof(AgentPreset.Review))]
    public void Presets_need_no_prompt_and_then_send_their_default_task(string preset, string expectedName)
    {
        var expected = Enum.Parse<AgentPreset>(expectedName);

        var spec = Create(Inputs(preset)).Spec;

        Assert.Equal(expected, spec.Preset.Kind);
        Assert.Null(spec.Preset.Task);
        Assert.Contains(PresetPrompts.DefaultTask(expected), spec.Invocation.Prompt);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Run")]
    public void AgentRun_without_a_prompt_is_AGS1001(string? preset)
    {
        Assert.Equal("AGS1001", Fails(Inputs(preset)).Code);
    }

    [Fact]
    public void Preset_prompt_is_the_task_inside_the_template()
    {
        var spec = Create(Inputs("Refactor", prompt: "  Extract the parsing into its own class. ")).Spec;

        Assert.Equal("Extract the parsing into its own class.", spec.Preset.Task);
        Assert.StartsWith("Refactor the .NET project", spec.Invocation.Prompt);
        Assert.Contains("Task: Extract the parsing into its own class.", spec.Invocation.Prompt);
        Assert.Equal(spec.Invocation.Prompt, spec.Command[^1]);
    }

    [Fact]
    public void AgentRun_prompt_is_sent_as_given()
    {
        Assert.Equal("Do it", Create(Inputs(prompt: "Do it")).Spec.Invocation.Prompt);
    }

    [Fact]
    public void Unknown_preset_is_AGS1004()
    {
        Assert.Equal("AGS1004", Fails(Inputs("Document", prompt: "x")).Code);
    }

    [Theory]
    [InlineData(null, nameof(VerifyMode.None))]
    [InlineData("Run", nameof(VerifyMode.None))]
    [InlineData("Refactor", nameof(VerifyMode.Build))]
    [InlineData("Test", nameof(VerifyMode.Test))]
    [InlineData("Fix", nameof(VerifyMode.Build))]
    [InlineData("Review", nameof(VerifyMode.None))]
    public void Each_preset_has_its_default_verification(string? preset, string expectedName)
    {
        var expected = Enum.Parse<VerifyMode>(expectedName);

        Assert.Equal(expected, Create(Inputs(preset, prompt: "p")).Spec.Preset.Verify);
    }

    [Theory]
    [InlineData("none", nameof(VerifyMode.None))]
    [InlineData(" Test ", nameof(VerifyMode.Test))]
    [InlineData("BUILD", nameof(VerifyMode.Build))]
    public void AgentVerify_overrides_the_default(string verify, string expectedName)
    {
        var expected = Enum.Parse<VerifyMode>(expectedName);

        Assert.Equal(expected, Create(Inputs("Refactor") with { Verify = verify }).Spec.Preset.Verify);
    }

    [Theory]
    [InlineData("compile")]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData(" 2 ")]
    [InlineData("-1")]
    [InlineData("3")]
    public void Invalid_AgentVerify_is_AGS1004(string verify)
    {
        var error = Fails(Inputs("Refactor") with { Verify = verify });

        Assert.Equal("AGS1004", error.Code);
        Assert.Contains("AgentVerify", error.Message);
    }

    [Theory]
    [InlineData("+1", null)]
    [InlineData("none,build", null)]
    [InlineData(null, "+1")]
    [InlineData(null, "error,warning")]
    public void Numbers_with_a_sign_and_comma_lists_are_AGS1004(string? verify, string? failOn)
    {
        Assert.Equal("AGS1004", Fails(Inputs("Review") with { Verify = verify, ReviewFailOn = failOn }).Code);
    }

    [Theory]
    [InlineData(null, nameof(ReviewFailOn.Error))]
    [InlineData("", nameof(ReviewFailOn.Error))]
    [InlineData("warning", nameof(ReviewFailOn.Warning))]
    [InlineData(" None ", nameof(ReviewFailOn.None))]
    [InlineData("ERROR", nameof(ReviewFailOn.Error))]
    public void AgentReviewFailOn_defaults_to_error(string? failOn, string expectedName)
    {
        var expected = Enum.Parse<ReviewFailOn>(expectedName);

        Assert.Equal(expected, Create(Inputs("Review") with { ReviewFailOn = failOn }).Spec.Preset.FailOn);
    }

    [Theory]
    [InlineData("errors")]
    [InlineData("info")]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("-1")]
    public void Invalid_AgentReviewFailOn_is_AGS1004(string failOn)
    {
        var error = Fails(Inputs("Review") with { ReviewFailOn = failOn });

        Assert.Equal("AGS1004", error.Code);
        Assert.Contains("AgentReviewFailOn", error.Message);
    }

    [Theory]
    [InlineData(null, PresetSpec.DefaultMaxIterations)]
    [InlineData(" ", PresetSpec.DefaultMaxIterations)]
    [InlineData("1", 1)]
    [InlineData(" 10 ", 10)]
    public void AgentMaxIterations_defaults_to_three(string? value, int expected)
    {
        Assert.Equal(expected, Create(Inputs("Fix") with { MaxIterations = value }).Spec.Preset.MaxIterations);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("x")]
    [InlineData("2.5")]
    public void AgentMaxIterations_that_is_not_a_positive_whole_number_is_AGS1005(string value)
    {
        var error = Fails(Inputs("Fix") with { MaxIterations = value });

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentMaxIterations", error.Message);
    }

    [Fact]
    public void AgentMaxBudgetUsd_is_parsed_invariantly_whatever_the_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            Assert.Equal(0.50m, Create(Inputs(prompt: "p") with { MaxBudgetUsd = " 0.50 " }).Spec.Invocation.MaxBudgetUsd);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.00")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1,5")]
    [InlineData("$2")]
    [InlineData("1e3")]
    public void AgentMaxBudgetUsd_that_is_not_a_positive_amount_is_AGS1005(string value)
    {
        var error = Fails(Inputs(prompt: "p") with { MaxBudgetUsd = value });

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentMaxBudgetUsd", error.Message);
    }

    [Fact]
    public void AgentMaxBudgetUsd_is_passed_to_claude_from_2_0_30_on()
    {
        var (spec, warnings) = Create(Inputs(prompt: "p") with { AgentVersion = "2.0.30", MaxBudgetUsd = "0.5" });

        Assert.Empty(warnings);
        Assert.Equal(0.5m, spec.Invocation.MaxBudgetUsd);
        Assert.Equal(["--max-budget-usd", "0.5", "--", "p"], spec.Command.TakeLast(4));
    }

    [Fact]
    public void AgentMaxBudgetUsd_with_claude_2_0_29_is_warning_AGS1102_and_not_passed()
    {
        var (spec, warnings) = Create(Inputs(prompt: "p") with { AgentVersion = "2.0.29", MaxBudgetUsd = "0.5" });

        var warning = Assert.Single(warnings);
        Assert.Equal("AGS1102", warning.Code);
        Assert.Contains("AgentMaxBudgetUsd", warning.Message);
        Assert.Contains("Claude Code 2.0.29", warning.Message);
        Assert.Null(spec.Invocation.MaxBudgetUsd);
        Assert.DoesNotContain("--max-budget-usd", spec.Command);
    }

    [Theory]
    [InlineData("AgentCommand")]
    [InlineData("AgentInstallCommand")]
    public void Custom_agent_settings_given_to_claude_are_warning_AGS1102(string property)
    {
        var inputs = property == "AgentCommand"
            ? Inputs(prompt: "p") with { AgentCommand = "aider;{prompt}" }
            : Inputs(prompt: "p") with { AgentInstallCommand = "pip install aider-chat" };

        var (spec, warnings) = Create(inputs);

        var warning = Assert.Single(warnings);
        Assert.Equal("AGS1102", warning.Code);
        Assert.StartsWith(property + " ", warning.Message);
        Assert.Contains("AgentKind custom", warning.Message);
        Assert.IsType<ClaudeCodeProfile>(spec.Agent);
        Assert.Equal("claude", spec.Command[0]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(" ; ")]
    public void Custom_agent_without_a_command_is_AGS1008(string? command)
    {
        Assert.Equal("AGS1008", Fails(Inputs(prompt: "p") with { AgentKind = "custom", AgentCommand = command }).Code);
    }

    [Fact]
    public void Custom_agent_needs_no_credential_and_runs_its_own_command()
    {
        var (spec, warnings) = Create(Inputs(prompt: "Fix it") with { AgentKind = "Custom", AgentCommand = "aider; --yes ;--message;{prompt}" }, NoVariables);

        Assert.Empty(warnings);
        Assert.IsType<CustomCommandProfile>(spec.Agent);
        Assert.Equal(["aider", "--yes", "--message", "Fix it"], spec.Command);
        // Nothing but the settings that keep builds inside the sandbox out of the user's tree.
        Assert.Equal(SandboxSpecFactory.BuildOutputOutsideTheTree.Keys.Order(), spec.Environment.Names.Order());
    }

    [Fact]
    public void Settings_a_custom_agent_lacks_are_warnings_and_dropped_but_extra_arguments_are_kept()
    {
        var inputs = Inputs(prompt: "p") with
        {
            AgentKind = "custom",
            AgentCommand = "my-agent",
            AgentVersion = "1.2.3",
            Model = "opus",
            MaxTurns = "5",
            MaxBudgetUsd = "1",
            ExtraArguments = "--fast",
        };

        var (spec, warnings) = Create(inputs, NoVariables);

        Assert.All(warnings, warning => Assert.Equal("AGS1102", warning.Code));
        Assert.Equal(["AgentModel", "AgentMaxTurns", "AgentMaxBudgetUsd", "AgentVersion"], warnings.Select(warning => warning.Message.Split(' ')[0]));
        // The hint names the agents that have the setting: every known agent has a model flag, only Claude Code a budget.
        Assert.Contains("choose an agent that has it (claude, codex", warnings[0].Message);
        Assert.EndsWith("choose an agent that has it (claude).", warnings[2].Message);
        Assert.Null(spec.Invocation.Model);
        Assert.Null(spec.Invocation.MaxTurns);
        Assert.Null(spec.Invocation.MaxBudgetUsd);
        Assert.Equal(["my-agent", "--fast", "p"], spec.Command);
    }

    [Fact]
    public void Custom_agent_ignores_AgentVersion_even_when_it_is_not_a_version()
    {
        var (spec, warnings) = Create(Inputs(prompt: "p") with { AgentKind = "custom", AgentCommand = "my-agent", AgentVersion = "latest" }, NoVariables);

        Assert.Equal("0.0.0", spec.Invocation.Version.ToNormalizedString());
        Assert.Equal("AGS1102", Assert.Single(warnings).Code);
    }

    [Theory]
    [InlineData("App.csproj", "App.csproj")]
    [InlineData("src/App/App.csproj", "src/App/App.csproj")]
    public void Project_file_is_relative_to_the_project_directory(string relative, string expected)
    {
        var spec = Create(Inputs("Fix") with { ProjectFile = " " + _temp.Combine(relative) + " " }).Spec;

        Assert.Equal(expected, spec.Preset.ProjectFileName);
        Assert.StartsWith($"The build of the .NET project /workspace/{expected} ", spec.Invocation.Prompt);
    }

    [Fact]
    public void No_project_file_is_an_empty_name()
    {
        Assert.Equal("", Create(Inputs("Fix")).Spec.Preset.ProjectFileName);
    }

    [Fact]
    public void Relative_project_file_is_taken_relative_to_the_project_directory()
    {
        Assert.Equal("App.csproj", Create(Inputs("Fix") with { ProjectFile = "App.csproj" }).Spec.Preset.ProjectFileName);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("Refactor", false)]
    [InlineData("Test", false)]
    [InlineData("Fix", false)]
    [InlineData("Review", true)]
    public void Only_a_review_mounts_the_workspace_read_only(string? preset, bool expected)
    {
        Assert.Equal(expected, Create(Inputs(preset, prompt: "p")).Spec.Preset.ReadOnlyWorkspace);
    }

    [Fact]
    public void Scope_is_trimmed_and_blank_scope_is_none()
    {
        _temp.Write("src/B.cs", "class B {}");
        _temp.Write("lib/A.cs", "class A {}");
        Assert.Equal("src/*.cs;lib/A.cs", Create(Inputs("Test") with { TestScope = " src/*.cs;lib/A.cs " }).Spec.Preset.Scope);
        Assert.Null(Create(Inputs("Test") with { TestScope = "  " }).Spec.Preset.Scope);
    }

    [Theory]
    [InlineData("Test", "src/Parsing/*.cs")]
    [InlineData("Refactor", "OrderService.cs")]
    [InlineData("Review", "src/**/*.fs")]
    public void A_scope_entry_that_matches_no_file_is_AGS1011_before_the_agent_runs(string preset, string entry)
    {
        _temp.Write("src/Orders/Order.cs", "class Order {}");

        var error = Fails(Inputs(preset) with { TestScope = $"src/Orders/*.cs;{entry}", RefactorScope = $"src/Orders/*.cs;{entry}", ReviewScope = $"src/Orders/*.cs;{entry}" });

        Assert.Equal("AGS1011", error.Code);
        Assert.Contains($"Agent{preset}Scope", error.Message);
        Assert.Contains($"'{entry}'", error.Message);
    }

    [Theory]
    [InlineData("src/**/*.cs")]
    [InlineData("**/Order.cs")]
    [InlineData("./src/Orders/Order.cs")]
    [InlineData("src/Orders")]
    [InlineData("src/Ord?rs/*.cs")]
    public void Scope_entries_are_files_directories_or_globs_under_the_project(string entry)
    {
        _temp.Write("src/Orders/Order.cs", "class Order {}");

        Assert.Equal(entry, Create(Inputs("Refactor") with { RefactorScope = entry }).Spec.Preset.Scope);
    }

    [Fact]
    public void Scope_may_name_files_of_the_workspace_root_above_the_project()
    {
        _temp.Write("Calc/Calc.cs", "class Calc {}");
        var project = _temp.CreateDirectory("Calc.Tests");

        var spec = Create(Specs.Run(project, prompt: null, "AgentTest") with { WorkspaceRoot = "..", TestScope = "Calc/Calc.cs" }).Spec;

        Assert.Equal("Calc/Calc.cs", spec.Preset.Scope);
    }

    [Fact]
    public void Build_output_is_not_what_a_scope_means()
    {
        _temp.Write("bin/Debug/Generated.cs", "class G {}");

        Assert.Equal("AGS1011", Fails(Inputs("Review") with { ReviewScope = "**/Generated.cs" }).Code);
    }
}
