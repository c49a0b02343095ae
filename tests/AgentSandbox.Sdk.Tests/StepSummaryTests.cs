using System.Globalization;
using AgentSandbox.Project;
using AgentSandbox.Reporting;
using AgentSandbox.Review;
using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Verification;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The Markdown a CI job's summary page shows (GITHUB_STEP_SUMMARY).</summary>
public sealed class StepSummaryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private AgentRunSpec Spec(string prompt = "Add XML docs", string? preset = null) =>
        Specs.RunSpec(Specs.Run(_temp.Path, prompt, "Agent" + (preset ?? "Run")) with { ProjectFile = _temp.Combine("App.csproj") });

    private static AgentRunResult Result(
        bool success = true,
        long? exitCode = 0,
        decimal? costUsd = 0.00042m,
        string? lastWords = null,
        ChangedFile[]? changedFiles = null,
        ReviewFinding[]? findings = null,
        VerificationResult? verification = null,
        int iterations = 0) =>
        new("AgentRun", "claude", "2.1.328", "agentsandbox:0123456789abcdef", exitCode, 687, 3, costUsd, 30, 15, "done", [], 0,
            changedFiles ?? [new ChangedFile("Program.cs", FileChange.Modified)])
        {
            AgentSucceeded = success,
            LastWords = lastWords,
            Findings = findings,
            Verification = verification,
            Iterations = iterations == 0 ? null : Enumerable.Range(1, iterations).Select(n => new FixIteration(n, 1, 0, true, 2, 0.01m, 100)).ToList(),
        };

    private static string[] Lines(string markdown) => markdown.Split('\n');

    [Fact]
    public void Success_has_a_heading_the_task_and_a_table_of_facts()
    {
        var markdown = StepSummary.Render(Result(), Spec());

        Assert.Equal(
            [
                "### ✅ AgentRun for App: Claude Code 2.1.328 succeeded",
                "",
                "> Add XML docs",
                "",
                "| | |",
                "|---|---|",
                "| Agent | Claude Code 2.1.328 |",
                "| Result | succeeded (exit code 0) |",
                "| Turns | 3 |",
                "| Duration | 0.7 s |",
                "| Tokens | 30 in / 15 out |",
                "| Cost | $0.0004 |",
                "",
                "| Changed file | Change |",
                "|---|---|",
                "| `Program.cs` | modified |",
                "",
                "",
            ],
            Lines(markdown));
    }

    [Fact]
    public void Failure_has_a_cross_and_the_first_line_of_the_reason()
    {
        var lines = Lines(StepSummary.Render(Result(success: false, exitCode: 1, lastWords: "Reached maximum number of turns (1)\nmore detail"), Spec()));

        Assert.Equal("### ❌ AgentRun for App: Claude Code 2.1.328 failed", lines[0]);
        Assert.Contains("| Result | failed (exit code 1) |", lines);
        Assert.Contains("| Reason | Reached maximum number of turns (1) |", lines);
        Assert.DoesNotContain(lines, line => line.Contains("more detail", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_exit_code_and_cost_are_said_so()
    {
        var lines = Lines(StepSummary.Render(Result(success: false, exitCode: null, costUsd: null), Spec()));

        Assert.Contains("| Result | failed |", lines);
        Assert.Contains("| Cost | not reported by the agent |", lines);
        Assert.DoesNotContain(lines, line => line.StartsWith("| Reason", StringComparison.Ordinal));
    }

    [Fact]
    public void Numbers_do_not_depend_on_the_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var lines = Lines(StepSummary.Render(Result(costUsd: 1.25m), Spec()));

            Assert.Contains("| Duration | 0.7 s |", lines);
            Assert.Contains("| Cost | $1.25 |", lines);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Text_from_the_run_cannot_break_out_of_its_table_cell_or_start_markup()
    {
        var markdown = StepSummary.Render(
            Result(
                changedFiles: [new ChangedFile("we|ird`<name>.cs", FileChange.Added)],
                findings: [new ReviewFinding(FindingSeverity.Error, "src/A|B.cs", 3, "Use `x | y`\r\n<script>alert(1)</script>")]),
            Spec(prompt: "Fix `a|b` <b>now</b>\nsecond line"));

        var lines = Lines(markdown);
        Assert.Contains("> Fix 'a&#124;b' &lt;b>now&lt;/b>", lines);
        Assert.Contains("| `we\\|ird'<name>.cs` | added |", lines);
        Assert.Contains("| error | `src/A\\|B.cs:3` | Use 'x &#124; y' &lt;script>alert(1)&lt;/script> |", lines);
        Assert.DoesNotContain("second line", markdown);
        Assert.DoesNotContain("\r", markdown);
    }

    [Fact]
    public void Findings_are_a_table_of_severity_location_and_message()
    {
        var lines = Lines(StepSummary.Render(Result(findings:
        [
            new ReviewFinding(FindingSeverity.Error, "src/A.cs", 12, "SQL built from user input."),
            new ReviewFinding(FindingSeverity.Info, ".editorconfig", 1, "Add a rule."),
        ]), Spec()));

        var header = Array.IndexOf(lines, "| Severity | Location | Finding |");
        Assert.True(header > 0);
        Assert.Equal(
            ["|---|---|---|", "| error | `src/A.cs:12` | SQL built from user input. |", "| info | `.editorconfig:1` | Add a rule. |"],
            lines.Skip(header + 1).Take(3));
    }

    [Fact]
    public void No_findings_table_without_findings_and_a_sentence_without_changed_files()
    {
        var markdown = StepSummary.Render(Result(changedFiles: [], findings: []), Spec());

        Assert.DoesNotContain("| Severity |", markdown);
        Assert.DoesNotContain("| Changed file |", markdown);
        Assert.Contains("No file changed.", Lines(markdown));
    }

    [Fact]
    public void Changed_files_are_listed_with_their_change()
    {
        var lines = Lines(StepSummary.Render(Result(changedFiles: [new ChangedFile("src/A.cs", FileChange.Added), new ChangedFile("B.cs", FileChange.Deleted)]), Spec()));

        Assert.Contains("| `src/A.cs` | added |", lines);
        Assert.Contains("| `B.cs` | deleted |", lines);
    }

    [Fact]
    public void Verification_and_iterations_have_rows_of_their_own()
    {
        var failed = new VerificationResult(VerifyMode.Build, 1,
            [new BuildDiagnostic(true, "A.cs", 1, 1, "CS1", "x"), new BuildDiagnostic(true, "B.cs", 2, 1, "CS2", "y"), new BuildDiagnostic(false, "C.cs", 3, 1, "CS3", "z")], 900, []);
        var passed = new VerificationResult(VerifyMode.Test, 0, [], 900, []) { Tests = new TestRun(["T.csproj"], [], 3, 2, 0, 1, []) };
        var untested = new VerificationResult(VerifyMode.Test, 0, [], 900, []);

        var lines = Lines(StepSummary.Render(Result(verification: failed, iterations: 2), Spec(preset: "Fix")));

        Assert.Contains("| Iterations | 2 |", lines);
        Assert.Contains("| Verification | dotnet build failed (2 errors) |", lines);
        Assert.Contains("| Verification | dotnet test passed (3 tests: 2 passed, 1 skipped) |", Lines(StepSummary.Render(Result(verification: passed), Spec(preset: "Test"))));
        Assert.Contains("| Verification | dotnet test ran no test |", Lines(StepSummary.Render(Result(verification: untested), Spec(preset: "Test"))));
        Assert.DoesNotContain(Lines(StepSummary.Render(Result(), Spec())), line => line.StartsWith("| Verification", StringComparison.Ordinal) || line.StartsWith("| Iterations", StringComparison.Ordinal));
    }

    [Fact]
    public void Preset_without_a_task_quotes_the_first_line_of_its_prompt()
    {
        var spec = Spec(prompt: null!, preset: "Review");

        Assert.Equal("> Review the .NET project /workspace/App.csproj. The files are read-only: do not try to change them.", Lines(StepSummary.Render(Result(), spec))[2]);
    }

    [Fact]
    public void Preset_with_a_task_quotes_the_task_not_the_template()
    {
        Assert.Equal("> Extract a class", Lines(StepSummary.Render(Result(), Spec(prompt: "Extract a class", preset: "Refactor")))[2]);
    }

    [Fact]
    public void Summary_is_appended_to_the_named_file_on_every_run()
    {
        var path = _temp.Combine("step-summary.md");
        File.WriteAllText(path, "# Earlier step\n");
        var first = Result();
        var second = Result(success: false, exitCode: 2, lastWords: "boom");

        StepSummary.AppendTo(path, first, Spec());
        StepSummary.AppendTo(path, second, Spec());

        Assert.Equal("# Earlier step\n" + StepSummary.Render(first, Spec()) + StepSummary.Render(second, Spec()), File.ReadAllText(path));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Nothing_is_written_outside_a_CI_job(string? value)
    {
        var looked = new List<string>();

        var spec = Specs.Create(Specs.Run(_temp.Path), name =>
        {
            looked.Add(name);
            return name == "GITHUB_STEP_SUMMARY" ? value : Specs.WithKey(name);
        }).Spec;
        StepSummary.AppendTo(spec.StepSummaryFile, Result(), spec.Run!);

        Assert.Contains("GITHUB_STEP_SUMMARY", looked);
        Assert.Null(spec.StepSummaryFile);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path));
    }
}
