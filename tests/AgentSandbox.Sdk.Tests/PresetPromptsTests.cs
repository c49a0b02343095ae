using AgentSandbox.Presets;
using AgentSandbox.Review;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The prompt each preset sends: the task inside a frame of project, scope and policy.</summary>
public sealed class PresetPromptsTests
{
    private static PresetSpec Preset(AgentPreset kind, string? task = null, string? scope = null, string projectFile = "App.csproj") =>
        new(kind, task, scope, VerifyMode.None, PresetSpec.DefaultMaxIterations, ReviewFailOn.Error, projectFile);

    private static string[] Lines(string prompt) => prompt.Split(Environment.NewLine);

    public static TheoryData<string> Presets => [nameof(AgentPreset.Refactor), nameof(AgentPreset.Test), nameof(AgentPreset.Fix), nameof(AgentPreset.Review)];

    [Theory]
    [MemberData(nameof(Presets))]
    public void Prompt_has_the_users_task(string kindName)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        var prompt = PresetPrompts.Compose(Preset(kind, task: "Rename Foo to Bar; keep `x | y` and $(HOME) as written."));

        Assert.Contains("Task: Rename Foo to Bar; keep `x | y` and $(HOME) as written.", Lines(prompt));
        Assert.DoesNotContain(PresetPrompts.DefaultTask(kind), prompt);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Prompt_without_a_task_has_the_presets_default_task(string kindName)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        Assert.Contains($"Task: {PresetPrompts.DefaultTask(kind)}", Lines(PresetPrompts.Compose(Preset(kind))));
    }

    [Fact]
    public void Default_tasks_differ_per_preset_and_AgentRun_has_none()
    {
        Assert.Equal(4, new[] { AgentPreset.Refactor, AgentPreset.Test, AgentPreset.Fix, AgentPreset.Review }.Select(PresetPrompts.DefaultTask).Distinct().Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => PresetPrompts.DefaultTask(AgentPreset.Run));
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Prompt_names_the_project_file_under_the_workspace(string kindName)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        Assert.Contains(" /workspace/src/App/App.csproj", Lines(PresetPrompts.Compose(Preset(kind, projectFile: "src/App/App.csproj")))[0]);
    }

    [Theory]
    [InlineData(nameof(AgentPreset.Refactor), "Scope: the whole project. ")]
    [InlineData(nameof(AgentPreset.Test), "Code to cover: the whole project.")]
    [InlineData(nameof(AgentPreset.Review), "Scope: the whole project.")]
    public void Scope_defaults_to_the_whole_project(string kindName, string expected)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        Assert.Contains(expected, PresetPrompts.Compose(Preset(kind, scope: null)));
        Assert.Contains(expected, PresetPrompts.Compose(Preset(kind, scope: " \t")));
    }

    [Theory]
    [InlineData(nameof(AgentPreset.Refactor), "Scope: the whole project. ")]
    [InlineData(nameof(AgentPreset.Test), "Code to cover: the whole project.")]
    [InlineData(nameof(AgentPreset.Review), "Scope: the whole project.")]
    public void Scope_of_only_separators_is_the_whole_project(string kindName, string expected)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        Assert.Contains(expected, PresetPrompts.Compose(Preset(kind, scope: " ; ")));
    }

    [Theory]
    [InlineData(nameof(AgentPreset.Refactor), "Scope: src/Orders/*.cs, src/Billing/Invoice.cs. ")]
    [InlineData(nameof(AgentPreset.Test), "Code to cover: src/Orders/*.cs, src/Billing/Invoice.cs.")]
    [InlineData(nameof(AgentPreset.Review), "Scope: src/Orders/*.cs, src/Billing/Invoice.cs.")]
    public void Scope_list_is_joined_with_commas(string kindName, string expected)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        Assert.Contains(expected, PresetPrompts.Compose(Preset(kind, scope: " src/Orders/*.cs ;; src/Billing/Invoice.cs; ")));
    }

    [Fact]
    public void Refactor_keeps_behaviour_and_must_still_build()
    {
        var prompt = PresetPrompts.Compose(Preset(AgentPreset.Refactor));

        Assert.StartsWith("Refactor the .NET project /workspace/App.csproj.", prompt);
        Assert.Contains("Keep the behaviour exactly as it is", prompt);
        Assert.Contains("run `dotnet build /workspace/App.csproj`", prompt);
    }

    [Fact]
    public void Test_prompt_says_the_tests_must_pass()
    {
        var prompt = PresetPrompts.Compose(Preset(AgentPreset.Test));

        Assert.StartsWith("Write or extend unit tests for the .NET project /workspace/App.csproj.", prompt);
        Assert.Contains("The tests must pass: run `dotnet test`", prompt);
    }

    [Fact]
    public void Fix_lists_the_diagnostics_in_compiler_format_before_the_task()
    {
        BuildDiagnostic[] diagnostics =
        [
            new(true, "Program.cs", 3, 5, "CS1002", "; expected"),
            new(false, "src/A.cs", 10, 2, "CS0168", "The variable 'e' is declared but never used"),
            new(true, null, 0, 0, "MSB1009", "Project file does not exist."),
        ];

        var lines = Lines(PresetPrompts.Compose(Preset(AgentPreset.Fix), diagnostics));

        Assert.Equal(
            [
                "The build of the .NET project /workspace/App.csproj reports these problems:",
                "- Program.cs(3,5): error CS1002: ; expected",
                "- src/A.cs(10,2): warning CS0168: The variable 'e' is declared but never used",
                "- error MSB1009: Project file does not exist.",
                $"Task: {PresetPrompts.DefaultTask(AgentPreset.Fix)}",
            ],
            lines.Take(5));
        Assert.Contains("Do not silence errors or warnings", lines[5]);
        Assert.Equal("Check your fix with `dotnet build /workspace/App.csproj`.", lines[^1]);
    }

    [Fact]
    public void Fix_without_diagnostics_goes_straight_to_the_task()
    {
        var lines = Lines(PresetPrompts.Compose(Preset(AgentPreset.Fix)));

        Assert.StartsWith("Task: ", lines[1]);
    }

    [Fact]
    public void Review_is_read_only_and_asks_for_the_finding_format_on_a_line_of_its_own()
    {
        var prompt = PresetPrompts.Compose(Preset(AgentPreset.Review));

        Assert.StartsWith("Review the .NET project /workspace/App.csproj. The files are read-only", prompt);
        Assert.Contains(ReviewFindingParser.FindingFormat, Lines(prompt));
        Assert.Contains("NO FINDINGS", prompt);
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Prompt_has_no_trailing_whitespace(string kindName)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        var prompt = PresetPrompts.Compose(Preset(kind));

        Assert.Equal(prompt.TrimEnd(), prompt);
    }

    [Theory]
    [InlineData("Do exactly this.")]
    [InlineData("- a Markdown list\n- with `code`\n")]
    public void Run_prompt_is_the_users_prompt_unchanged(string task)
    {
        Assert.Equal(task, PresetPrompts.Compose(Preset(AgentPreset.Run, task: task, scope: "ignored.cs"), [new BuildDiagnostic(true, "A.cs", 1, 1, "CS1", "x")]));
    }

    [Fact]
    public void Run_without_a_prompt_cannot_be_composed()
    {
        Assert.Throws<InvalidOperationException>(() => PresetPrompts.Compose(Preset(AgentPreset.Run)));
    }

    [Theory]
    [MemberData(nameof(Presets))]
    public void Without_a_project_file_the_prompt_names_the_workspace(string kindName)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        var prompt = PresetPrompts.Compose(Preset(kind, projectFile: ""));

        Assert.Contains(" .NET project in /workspace", Lines(prompt)[0]);
        Assert.DoesNotContain("/workspace/", prompt);
    }

    [Theory]
    [InlineData(nameof(AgentPreset.Refactor))]
    [InlineData(nameof(AgentPreset.Fix))]
    public void Without_a_project_file_the_build_command_in_the_prompt_is_valid(string kindName)
    {
        var kind = Enum.Parse<AgentPreset>(kindName);

        Assert.DoesNotContain("dotnet build in ", PresetPrompts.Compose(Preset(kind, projectFile: "")));
    }
}
