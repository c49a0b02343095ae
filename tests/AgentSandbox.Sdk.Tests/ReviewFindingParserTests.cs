using AgentSandbox.Presets;
using AgentSandbox.Review;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentReview's findings read from the agent's final text, and which of them fail the build.</summary>
public sealed class ReviewFindingParserTests
{
    private static ReviewFinding Single(string text) => Assert.Single(ReviewFindingParser.Parse(text));

    [Fact]
    public void Exact_format_gives_severity_file_line_and_message()
    {
        Assert.Equal(
            new ReviewFinding(FindingSeverity.Error, "src/Orders/OrderService.cs", 42, "The stream is never disposed."),
            Single("FINDING error src/Orders/OrderService.cs:42: The stream is never disposed."));
    }

    [Theory]
    [InlineData("error", nameof(FindingSeverity.Error))]
    [InlineData("warning", nameof(FindingSeverity.Warning))]
    [InlineData("info", nameof(FindingSeverity.Info))]
    [InlineData("ERROR", nameof(FindingSeverity.Error))]
    [InlineData("Warning", nameof(FindingSeverity.Warning))]
    [InlineData("INFO", nameof(FindingSeverity.Info))]
    public void Severity_is_read_in_any_case(string severity, string expectedName)
    {
        var expected = Enum.Parse<FindingSeverity>(expectedName);

        Assert.Equal(expected, Single($"FINDING {severity} Program.cs:1: message").Severity);
    }

    [Theory]
    [InlineData("- FINDING warning Program.cs:7: Possible null dereference.")]
    [InlineData("* FINDING warning Program.cs:7: Possible null dereference.")]
    [InlineData("  - FINDING warning Program.cs:7: Possible null dereference.")]
    [InlineData("> FINDING warning Program.cs:7: Possible null dereference.")]
    [InlineData("**FINDING** warning Program.cs:7: Possible null dereference.")]
    [InlineData("- **FINDING** warning Program.cs:7: Possible null dereference.")]
    [InlineData("**FINDING warning Program.cs:7: Possible null dereference.**")]
    [InlineData("`FINDING warning Program.cs:7: Possible null dereference.`")]
    [InlineData("FINDING warning `Program.cs`:7: Possible null dereference.")]
    [InlineData("FINDING warning /workspace/Program.cs:7: Possible null dereference.")]
    [InlineData("FINDING warning ./Program.cs:7: Possible null dereference.")]
    [InlineData("FINDING warning Program.cs:7:12: Possible null dereference.")]
    [InlineData("FINDING warning Program.cs:7: Possible null dereference.\r")]
    [InlineData("FINDING warning Program.cs:7:    Possible null dereference.   ")]
    public void Decorations_models_add_are_tolerated(string line)
    {
        Assert.Equal(new ReviewFinding(FindingSeverity.Warning, "Program.cs", 7, "Possible null dereference."), Single(line));
    }

    [Theory]
    [InlineData("FINDING info /workspace/src/Api/Startup.cs:3: x", "src/Api/Startup.cs")]
    [InlineData("FINDING info ./src/Api/Startup.cs:3: x", "src/Api/Startup.cs")]
    [InlineData("FINDING info /workspace/./src/Api/Startup.cs:3: x", "src/Api/Startup.cs")]
    [InlineData("FINDING info .editorconfig:3: x", ".editorconfig")]
    [InlineData("FINDING info ./.editorconfig:3: x", ".editorconfig")]
    [InlineData("FINDING info /workspace/.github/workflows/ci.yml:3: x", ".github/workflows/ci.yml")]
    [InlineData("FINDING info ../outside.cs:3: x", "../outside.cs")]
    [InlineData("FINDING info /workspaces/other.cs:3: x", "/workspaces/other.cs")]
    public void Path_is_made_relative_to_the_workspace_and_dotfiles_keep_their_dot(string line, string expected)
    {
        Assert.Equal(expected, Single(line).File);
    }

    [Fact]
    public void Message_keeps_colons_and_inner_code_spans()
    {
        Assert.Equal("Race: `_count` is read and written without a lock.", Single("FINDING error Counter.cs:9: Race: `_count` is read and written without a lock.").Message);
    }

    [Fact]
    public void Message_that_ends_in_a_code_span_keeps_its_closing_backtick()
    {
        Assert.Equal("The stream is never disposed; wrap it in `using`", Single("FINDING error Program.cs:12: The stream is never disposed; wrap it in `using`").Message);
    }

    [Fact]
    public void Findings_are_read_from_the_agents_whole_text_with_crlf_line_ends()
    {
        var text = "I reviewed the project.\r\n\r\n- FINDING error src/A.cs:10: SQL built from user input.\r\n- FINDING info src/B.cs:3: Method is long.\r\n\r\nSummary: 2 findings.\r\n";

        Assert.Equal(
            [
                new ReviewFinding(FindingSeverity.Error, "src/A.cs", 10, "SQL built from user input."),
                new ReviewFinding(FindingSeverity.Info, "src/B.cs", 3, "Method is long."),
            ],
            ReviewFindingParser.Parse(text));
    }

    [Theory]
    [InlineData("FINDING error src/A.cs: no line number")]
    [InlineData("FINDING error src/A.cs:: no line number")]
    [InlineData("FINDING error src/A.cs:x: no line number")]
    [InlineData("FINDING error src/A.cs:99999999999: line number too large")]
    [InlineData("FINDING critical src/A.cs:3: unknown severity")]
    [InlineData("FINDING src/A.cs:3: no severity")]
    [InlineData("FINDING error src/A.cs:3:")]
    [InlineData("FINDING error src/A.cs:3:   ")]
    [InlineData("FINDING error src/A.cs:3: **")]
    [InlineData("FINDING error :3: no path")]
    [InlineData("FINDINGS error src/A.cs:3: plural keyword")]
    [InlineData("The format is FINDING error src/A.cs:3: message, as asked.")]
    [InlineData("I would report FINDING warning src/A.cs:3: here, but there is nothing.")]
    [InlineData("FINDING <error|warning|info> <path relative to /workspace>:<line>: <message>")]
    [InlineData("NO FINDINGS")]
    [InlineData("src/A.cs:3: error CS1002: ; expected")]
    public void Lines_that_only_look_like_findings_are_not_findings(string line)
    {
        Assert.Empty(ReviewFindingParser.Parse(line));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("\n\r\n")]
    [InlineData("NO FINDINGS. The code looks fine.")]
    public void Text_without_findings_gives_none(string? text)
    {
        Assert.Empty(ReviewFindingParser.Parse(text));
    }

    [Fact]
    public void Repeated_finding_is_kept_once_but_a_different_severity_or_line_is_another_finding()
    {
        var findings = ReviewFindingParser.Parse(string.Join('\n',
            "FINDING error A.cs:1: Bug.",
            "- FINDING error ./A.cs:1: Bug.",
            "FINDING error /workspace/A.cs:1:5: Bug.",
            "FINDING warning A.cs:1: Bug.",
            "FINDING error A.cs:2: Bug."));

        Assert.Equal(
            [
                new ReviewFinding(FindingSeverity.Error, "A.cs", 1, "Bug."),
                new ReviewFinding(FindingSeverity.Warning, "A.cs", 1, "Bug."),
                new ReviewFinding(FindingSeverity.Error, "A.cs", 2, "Bug."),
            ],
            findings);
    }

    [Fact]
    public void The_format_the_review_prompt_asks_for_is_the_one_the_parser_reads()
    {
        var example = ReviewFindingParser.FindingFormat
            .Replace("<error|warning|info>", "warning", StringComparison.Ordinal)
            .Replace("<path relative to /workspace>", "src/A.cs", StringComparison.Ordinal)
            .Replace("<line>", "5", StringComparison.Ordinal)
            .Replace("<message>", "Unused field.", StringComparison.Ordinal);

        Assert.Equal(new ReviewFinding(FindingSeverity.Warning, "src/A.cs", 5, "Unused field."), Single(example));
    }

    [Theory]
    [InlineData(nameof(FindingSeverity.Error), nameof(ReviewFailOn.Error), true)]
    [InlineData(nameof(FindingSeverity.Warning), nameof(ReviewFailOn.Error), false)]
    [InlineData(nameof(FindingSeverity.Info), nameof(ReviewFailOn.Error), false)]
    [InlineData(nameof(FindingSeverity.Error), nameof(ReviewFailOn.Warning), true)]
    [InlineData(nameof(FindingSeverity.Warning), nameof(ReviewFailOn.Warning), true)]
    [InlineData(nameof(FindingSeverity.Info), nameof(ReviewFailOn.Warning), false)]
    [InlineData(nameof(FindingSeverity.Error), nameof(ReviewFailOn.None), false)]
    [InlineData(nameof(FindingSeverity.Warning), nameof(ReviewFailOn.None), false)]
    [InlineData(nameof(FindingSeverity.Info), nameof(ReviewFailOn.None), false)]
    public void FailsBuild_follows_AgentReviewFailOn(string severityName, string failOnName, bool expected)
    {
        var severity = Enum.Parse<FindingSeverity>(severityName);
        var failOn = Enum.Parse<ReviewFailOn>(failOnName);

        Assert.Equal(expected, new ReviewFinding(severity, "A.cs", 1, "m").FailsBuild(failOn));
    }

    [Theory]
    [InlineData("1. FINDING warning src/A.cs:7: Long method.")]
    [InlineData("  12) FINDING warning src/A.cs:7: Long method.")]
    [InlineData("FINDING warning `src/A.cs:7`: Long method.")]
    [InlineData("- FINDING warning `src/A.cs:7:3`: Long method.")]
    public void Numbered_lists_and_a_location_in_backticks_are_findings(string line)
    {
        Assert.Equal(new ReviewFinding(FindingSeverity.Warning, "src/A.cs", 7, "Long method."), Single(line));
    }
}
