using AgentSandbox.Agents;
using NuGet.Versioning;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The Claude Code command line: an argument vector that no shell ever parses.</summary>
public sealed class ClaudeCodeProfileTests
{
    private static readonly ClaudeCodeProfile Profile = new();
    private static readonly NuGetVersion Version = NuGetVersion.Parse("2.1.328");

    [Fact]
    public void Command_runs_claude_non_interactively_with_stream_json_output()
    {
        var command = Profile.BuildCommand(new AgentInvocation("Fix the build", Version));

        Assert.Equal(
            ["claude", "-p", "--dangerously-skip-permissions", "--output-format", "stream-json", "--verbose", "--", "Fix the build"],
            command);
    }

    [Theory]
    [InlineData("Say \"hello\" to the world")]
    [InlineData("It's Bob's code, isn't it?")]
    [InlineData("First line\nsecond line\r\nthird line")]
    [InlineData("$(rm -rf /)")]
    [InlineData("`rm -rf /`")]
    [InlineData("a; rm -rf / && echo $HOME | tee ~/x > /dev/null & \\")]
    [InlineData("--model opus --max-turns 99")]
    [InlineData("- Add XML docs\n- Keep behaviour")]
    [InlineData("  leading and trailing spaces  ")]
    public void Prompt_is_one_unchanged_argument_whatever_it_contains(string prompt)
    {
        var command = Profile.BuildCommand(new AgentInvocation(prompt, Version));

        Assert.Equal(8, command.Count);
        Assert.Equal("-p", command[1]);
        Assert.Equal("--", command[^2]);
        Assert.Equal(prompt, command[^1]);
    }

    [Fact]
    public void Model_max_turns_and_extra_arguments_follow_in_order()
    {
        var command = Profile.BuildCommand(new AgentInvocation("p", Version, Model: "claude-sonnet-4-5", MaxTurns: 12,
            ExtraArguments: ["--append-system-prompt", "Be brief; really", "--add-dir", "/tmp"]));

        Assert.Equal(
            ["--verbose", "--model", "claude-sonnet-4-5", "--max-turns", "12", "--append-system-prompt", "Be brief; really", "--add-dir", "/tmp", "--", "p"],
            command.Skip(5));
    }

    [Fact]
    public void No_model_or_max_turns_arguments_when_they_are_not_set()
    {
        var command = Profile.BuildCommand(new AgentInvocation("p", Version, Model: null, MaxTurns: null, ExtraArguments: null));

        Assert.DoesNotContain("--model", command);
        Assert.DoesNotContain("--max-turns", command);
        Assert.Equal(["--verbose", "--", "p"], command.TakeLast(3));
    }

    [Fact]
    public void Blank_model_is_not_passed()
    {
        var command = Profile.BuildCommand(new AgentInvocation("p", Version, Model: "  "));

        Assert.DoesNotContain("--model", command);
    }

    [Fact]
    public void Max_turns_is_written_without_culture_formatting()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            var command = Profile.BuildCommand(new AgentInvocation("p", Version, MaxTurns: 1500));

            Assert.Equal("1500", command[command.ToList().IndexOf("--max-turns") + 1]);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Profile_names_its_package_executable_and_credentials()
    {
        Assert.Equal("claude", Profile.Kind);
        Assert.Equal("@anthropic-ai/claude-code", Profile.NpmPackage);
        Assert.Equal("claude", Profile.Executable);
        Assert.Equal("2.1.328", Profile.DefaultVersion.ToNormalizedString());
        Assert.Contains("ANTHROPIC_API_KEY", Profile.CredentialVariables);
    }

    [Fact]
    public void Each_parser_is_a_fresh_instance()
    {
        Assert.NotSame(Profile.CreateParser(NuGet.Versioning.NuGetVersion.Parse("2.1.328")), Profile.CreateParser(NuGet.Versioning.NuGetVersion.Parse("2.1.328")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("claude")]
    [InlineData("CLAUDE")]
    public void Default_and_case_insensitive_agent_kind_find_claude(string? kind)
    {
        Assert.IsType<ClaudeCodeProfile>(AgentProfiles.Find(kind));
    }
}
