using System.Globalization;
using AgentSandbox.Agents;
using NuGet.Versioning;

namespace AgentSandbox.Sdk.Tests;

/// <summary>--max-budget-usd and the versions that have it; how a result line's subtype and is_error make a failure.</summary>
public sealed class ClaudeCodeBudgetTests
{
    private static readonly ClaudeCodeProfile Profile = new();
    private static readonly NuGetVersion Version = NuGetVersion.Parse("2.1.328");

    [Fact]
    public void Budget_follows_max_turns_and_precedes_extra_arguments()
    {
        var command = Profile.BuildCommand(new AgentInvocation("p", Version, MaxTurns: 4, ExtraArguments: ["--add-dir", "/tmp"], MaxBudgetUsd: 0.25m));

        Assert.Equal(["--max-turns", "4", "--max-budget-usd", "0.25", "--add-dir", "/tmp", "--", "p"], command.Skip(6));
    }

    [Fact]
    public void Budget_is_written_without_culture_formatting()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var command = Profile.BuildCommand(new AgentInvocation("p", Version, MaxBudgetUsd: 1234.5m));

            Assert.Equal("1234.5", command[command.ToList().IndexOf("--max-budget-usd") + 1]);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void No_budget_argument_when_it_is_not_set()
    {
        Assert.DoesNotContain("--max-budget-usd", Profile.BuildCommand(new AgentInvocation("p", Version)));
    }

    [Theory]
    [InlineData("2.0.29", false)]
    [InlineData("2.0.30", true)]
    [InlineData("2.1.328", true)]
    [InlineData("1.0.0", false)]
    public void Budget_is_supported_from_2_0_30_on(string version, bool expected)
    {
        Assert.Equal(expected, Profile.Supports(AgentSetting.MaxBudgetUsd, NuGetVersion.Parse(version)));
    }

    [Theory]
    [InlineData(nameof(AgentSetting.Model))]
    [InlineData(nameof(AgentSetting.MaxTurns))]
    [InlineData(nameof(AgentSetting.ExtraArguments))]
    [InlineData(nameof(AgentSetting.Version))]
    public void Other_settings_are_supported_by_old_versions_too(string settingName)
    {
        var setting = Enum.Parse<AgentSetting>(settingName);

        Assert.True(Profile.Supports(setting, NuGetVersion.Parse("1.0.0")));
    }

    private static AgentOutcome Result(string version, string fields) =>
        Assert.IsType<AgentFinished>(Assert.Single(Profile.CreateParser(NuGetVersion.Parse(version)).ParseLine(
            $$$"""{"type":"result",{{{fields}}},"duration_ms":1200,"num_turns":2,"total_cost_usd":0.51,"usage":{"input_tokens":10,"output_tokens":5}}"""))).Outcome;

    [Theory]
    [InlineData("2.0.30")]
    [InlineData("2.1.87")]
    public void Exhausted_budget_reported_with_is_error_false_is_still_an_error(string version)
    {
        var outcome = Result(version, """
            "subtype":"error_max_budget_usd","is_error":false
            """);

        Assert.True(outcome.IsError);
        Assert.Equal("error_max_budget_usd", outcome.Kind);
        Assert.Equal(0.51m, outcome.CostUsd);
    }

    [Fact]
    public void Exhausted_budget_reported_with_is_error_true_is_an_error()
    {
        Assert.True(Result("2.1.328", """
            "subtype":"error_max_budget_usd","is_error":true
            """).IsError);
    }

    [Fact]
    public void Success_subtype_with_is_error_true_is_an_error()
    {
        Assert.True(Result("2.1.328", """
            "subtype":"success","is_error":true,"result":"Invalid API key"
            """).IsError);
    }

    [Fact]
    public void Success_subtype_with_is_error_false_is_not_an_error()
    {
        var outcome = Result("2.1.328", """
            "subtype":"success","is_error":false,"result":"Done."
            """);

        Assert.False(outcome.IsError);
        Assert.Equal("success", outcome.Kind);
        Assert.Equal("Done.", outcome.FinalText);
    }

    [Theory]
    [InlineData("\"subtype\":\"success\"", false)]
    [InlineData("\"subtype\":\"error_max_turns\"", true)]
    [InlineData("\"subtype\":\"something_new\"", true)]
    [InlineData("\"subtype\":\"something_new\",\"is_error\":false", false)]
    public void Without_is_error_only_success_is_success(string fields, bool expected)
    {
        Assert.Equal(expected, Result("2.1.328", fields).IsError);
    }
}
