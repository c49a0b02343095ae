using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Project;
using AgentSandbox.Reporting;
using AgentSandbox.Review;
using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Sdk.Tests;

/// <summary>How the presets' outcomes reach the build: review findings and sandbox build errors at their files, AGS4004 and AGS4005.</summary>
public sealed class RunReportPresetTests : IDisposable
{
    private const string ResultPath = "obj/agentsandbox/AgentX/result.json";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private AgentRunSpec Spec(string preset, string? failOn = null, string? verify = null, string? projectDirectory = null, string? workspaceRoot = null) =>
        Specs.RunSpec(Specs.Run(projectDirectory ?? _temp.Path, prompt: null, "Agent" + preset) with
        {
            ReviewFailOn = failOn,
            Verify = verify,
            WorkspaceRoot = workspaceRoot,
        });

    private static AgentRunResult Result(
        bool agentSucceeded = true,
        ReviewFinding[]? findings = null,
        VerificationResult? verification = null,
        int? iterations = null,
        string target = "AgentX") =>
        new(target, "claude", "2.1.328", "agentsandbox:0123456789abcdef", agentSucceeded ? 0 : 1,
            687, 3, 0.00042m, 30, 15, "done", [], 0, [])
        {
            AgentSucceeded = agentSucceeded,
            LastWords = agentSucceeded ? null : "it broke",
            Findings = findings,
            Verification = verification,
            Iterations = iterations is { } count ? Enumerable.Range(1, count).Select(n => new FixIteration(n, 2, 0, true, 1, null, 10)).ToList() : null,
        };

    private static readonly ReviewFinding[] Findings =
    [
        new(FindingSeverity.Error, "src/Orders.cs", 42, "SQL built from user input."),
        new(FindingSeverity.Warning, "Program.cs", 7, "Possible null dereference."),
        new(FindingSeverity.Info, ".editorconfig", 1, "Add a rule."),
    ];

    private static VerificationResult Build(long exitCode, params BuildDiagnostic[] diagnostics) =>
        new(VerifyMode.Build, exitCode, diagnostics, 1200, ["  Determining projects to restore...", "Build FAILED."]);

    [Theory]
    [InlineData("error", true, false, false)]
    [InlineData("warning", true, true, false)]
    [InlineData("none", false, false, false)]
    public void Review_findings_are_problems_at_their_full_path_errors_as_AgentReviewFailOn_says(string failOn, bool error, bool warning, bool info)
    {
        var log = new RecordingLog();

        var failure = Reports.Report(Result(findings: Findings), Spec("Review", failOn), ResultPath, log);

        Assert.Null(failure);
        Assert.Equal(
            [
                // The finding's severity is named where it differs from the level it is reported at.
                new SourceProblem(error, "AgentReview", "AGS4201", Path.Combine(_temp.Path, "src/Orders.cs"), 42, 0, (error ? "" : "error: ") + "SQL built from user input."),
                new SourceProblem(warning, "AgentReview", "AGS4201", Path.Combine(_temp.Path, "Program.cs"), 7, 0, (warning ? "warning: " : "") + "Possible null dereference."),
                new SourceProblem(info, "AgentReview", "AGS4201", Path.Combine(_temp.Path, ".editorconfig"), 1, 0, "info: Add a rule."),
            ],
            log.Problems);
    }

    [Fact]
    public void Findings_are_relative_to_the_workspace_root_when_it_is_above_the_project()
    {
        var project = _temp.CreateDirectory("src/App");
        var log = new RecordingLog();

        Reports.Report(Result(findings: [new ReviewFinding(FindingSeverity.Error, "src/App/Program.cs", 3, "Bug.")]), Spec("Review", projectDirectory: project, workspaceRoot: _temp.Path), ResultPath, log);

        Assert.Equal(Path.Combine(_temp.Path, "src/App/Program.cs"), Assert.Single(log.Problems).File);
    }

    [Fact]
    public void Failed_verification_is_AGS4004_with_the_first_error_and_every_error_is_a_problem()
    {
        var log = new RecordingLog();
        var verification = Build(1,
            new BuildDiagnostic(false, "Program.cs", 1, 1, "CS0168", "unused"),
            new BuildDiagnostic(true, "src/A.cs", 3, 5, "CS1002", "; expected"),
            new BuildDiagnostic(true, null, 0, 0, "MSB1009", "Project file does not exist."));

        var failure = Reports.Report(Result(verification: verification, target: "AgentRefactor"), Spec("Refactor"), ResultPath, log);

        Assert.NotNull(failure);
        Assert.Equal("AGS4004", failure.Code);
        Assert.Contains("After AgentRefactor, dotnet build fails inside the sandbox (2 error(s), the first src/A.cs(3,5): error CS1002: ; expected)", failure.Message);
        Assert.Contains(ResultPath, failure.Message);
        Assert.Equal(
            [
                new SourceProblem(true, "sandbox build", "CS1002", Path.Combine(_temp.Path, "src/A.cs"), 3, 5, "; expected"),
                new SourceProblem(true, "sandbox build", "MSB1009", null, 0, 0, "Project file does not exist."),
            ],
            log.Problems);
    }

    [Fact]
    public void Failed_tests_without_diagnostics_are_AGS4004_with_the_last_output_lines()
    {
        var verification = new VerificationResult(VerifyMode.Test, 1, [], 5000,
            ["  Failed OrderTests.Total_is_summed [12 ms]", "", "Failed!  - Failed:     1, Passed:    11", "   "]);

        var failure = Reports.Report(Result(verification: verification, target: "AgentTest"), Spec("Test"), ResultPath, new RecordingLog());

        Assert.NotNull(failure);
        Assert.Equal("AGS4004", failure.Code);
        Assert.Contains("dotnet test fails inside the sandbox (exit code 1: Failed OrderTests.Total_is_summed [12 ms] / Failed!  - Failed:     1, Passed:    11)", failure.Message);
    }

    [Fact]
    public void Fix_that_leaves_build_errors_is_AGS4005_with_iterations_and_errors()
    {
        var log = new RecordingLog();
        var verification = Build(1, new BuildDiagnostic(true, "A.cs", 1, 1, "CS1", "x"), new BuildDiagnostic(true, "B.cs", 2, 2, "CS2", "y"));

        var failure = Reports.Report(Result(verification: verification, iterations: 3, target: "AgentFix"), Spec("Fix"), ResultPath, log);

        Assert.NotNull(failure);
        Assert.Equal("AGS4005", failure.Code);
        Assert.Contains("after 3 iteration(s) and the build still has 2 error(s)", failure.Message);
        Assert.Equal(2, log.Problems.Count);
    }

    [Fact]
    public void Fix_whose_tests_fail_afterwards_is_AGS4004()
    {
        var verification = new VerificationResult(VerifyMode.Test, 1, [], 10, ["Failed!"]);

        Assert.Equal("AGS4004", Reports.Report(Result(verification: verification, iterations: 1), Spec("Fix", verify: "test"), ResultPath, new RecordingLog())?.Code);
    }

    [Fact]
    public void Agent_failure_is_reported_before_the_verification()
    {
        var log = new RecordingLog();

        var failure = Reports.Report(Result(agentSucceeded: false, verification: Build(1, new BuildDiagnostic(true, "A.cs", 1, 1, "CS1", "x"))), Spec("Refactor"), ResultPath, log);

        Assert.Equal("AGS4002", failure?.Code);
        Assert.Empty(log.Problems);
    }

    [Fact]
    public void Passing_verification_is_no_failure()
    {
        var log = new RecordingLog();

        Assert.Null(Reports.Report(Result(verification: Build(0, new BuildDiagnostic(false, "A.cs", 1, 1, "CS0168", "unused"))), Spec("Refactor"), ResultPath, log));
        Assert.Empty(log.Problems);
        Assert.EndsWith("; dotnet build passed.", log.Important[0]);
    }

    [Fact]
    public void Summary_names_iterations_findings_and_the_verification()
    {
        Assert.Equal(
            "Claude Code succeeded: 2 iterations, 3 turns, 0.7 s, $0.0004, 30 tokens in / 15 out; no file changed; 3 findings; dotnet build passed.",
            RunReport.Summarize(Result(findings: Findings, verification: Build(0), iterations: 2) with { FailOn = ReviewFailOn.None }, "Claude Code"));
    }

    [Fact]
    public void Summary_counts_one_iteration()
    {
        Assert.StartsWith("Claude Code succeeded: 1 iteration, 3 turns", RunReport.Summarize(Result(iterations: 1), "Claude Code"));
    }

    [Fact]
    public void AgentFix_without_a_round_says_the_agent_did_not_run_and_counts_no_iteration()
    {
        var clean = RunReport.Summarize(Result(iterations: 0, verification: Build(0), target: "AgentFix") with { NumTurns = null, CostUsd = null, InputTokens = null, OutputTokens = null }, "Claude Code");
        var broken = RunReport.Summarize(Result(iterations: 0, verification: Build(1), target: "AgentFix") with { NumTurns = null, CostUsd = null, InputTokens = null, OutputTokens = null }, "Claude Code");

        Assert.Equal("the build was already clean, so Claude Code did not run: 0.7 s; no file changed; dotnet build passed.", clean);
        Assert.Equal("Claude Code did not run: 0.7 s; no file changed; dotnet build failed.", broken);
    }

    [Theory]
    [InlineData(0, "; 0 findings.")]
    [InlineData(1, "; 1 finding.")]
    public void Summary_counts_findings_when_there_was_a_review(int count, string expected)
    {
        Assert.EndsWith(expected, RunReport.Summarize(Result(findings: Findings.Take(count).ToArray()), "Claude Code"));
    }

    [Fact]
    public void Summary_says_when_the_tests_failed()
    {
        Assert.EndsWith("; dotnet test failed.", RunReport.Summarize(Result(verification: new VerificationResult(VerifyMode.Test, 1, [], 10, [])), "Claude Code"));
    }

    [Fact]
    public void Tests_that_ran_none_are_AGS4024_failed_tests_are_errors_at_their_lines_on_one_line_and_uncounted_ones_AGS4107()
    {
        var project = _temp.CreateDirectory("App");
        var none = new VerificationResult(VerifyMode.Test, 0, [], 10, []) { Tests = new TestRun(["T/T.csproj"], [], 0, 0, 0, 0, []) };
        var failed = new VerificationResult(VerifyMode.Test, 1, [], 10, [])
        {
            Tests = new TestRun(["T/T.csproj"], [], 2, 1, 1, 0, [new FailedTest("T.Adds", "Assert.Equal() Failure\nExpected: 5\nActual:   6", "T/TTests.cs", 12)]),
        };
        var uncounted = new VerificationResult(VerifyMode.Test, 0, [], 10, []) { Tests = new TestRun(["U/U.csproj"], ["U/U.csproj"], 0, 0, 0, 0, []) };
        var log = new RecordingLog();
        var quiet = new RecordingLog();

        var noTest = Reports.Report(Result(verification: none, target: "AgentTest"), Spec("Test"), ResultPath, new RecordingLog());
        var failure = Reports.Report(Result(verification: failed, target: "AgentTest"), Spec("Test", projectDirectory: project, workspaceRoot: _temp.Path), ResultPath, log);
        var unknown = Reports.Report(Result(verification: uncounted, target: "AgentTest"), Spec("Test"), ResultPath, quiet);

        Assert.Equal("AGS4024", noTest?.Code);
        Assert.Contains("dotnet test ran no test inside the sandbox (T/T.csproj)", noTest!.Message);
        Assert.Equal("AGS4004", failure?.Code);
        var problem = Assert.Single(log.Problems);
        Assert.Equal((Path.Combine(_temp.Path, "T", "TTests.cs"), 12), (problem.File, problem.Line));
        Assert.Equal("T.Adds failed: Assert.Equal() Failure / Expected: 5 / Actual:   6", problem.Message);
        Assert.Null(unknown);
        Assert.Equal("AGS4107", Assert.Single(quiet.Warnings).Code);
    }
}
