using AgentSandbox.Project;
using AgentSandbox.Verification;

namespace AgentSandbox.Sdk.Tests;

/// <summary>What a test run's TRX reports say: counts by outcome, and each failed test at its line.</summary>
public sealed class TestRunTests
{
    private const string Build = "/tmp/agentsandbox-build";

    private static IReadOnlyList<TestedProject> VSTest(params string[] paths) => paths.Select(path => new TestedProject(path, TestPlatform.VSTest)).ToList();

    private static string Trx(params string[] results) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Results>{string.Join("", results)}</Results>
        </TestRun>
        """;

    private static string Result(string name, string outcome, string? message = null, string? stackTrace = null) =>
        $"""<UnitTestResult testName="{name}" outcome="{outcome}">""" +
        (message is null ? "" : $"<Output><ErrorInfo><Message>{message}</Message><StackTrace>{stackTrace}</StackTrace></ErrorInfo></Output>") +
        "</UnitTestResult>";

    [Fact]
    public void Counts_every_report_by_outcome()
    {
        var run = TestRun.FromReports(VSTest("a.csproj", "b.csproj"),
            [Trx(Result("A.One", "Passed"), Result("A.Two", "NotExecuted")), Trx(Result("B.One", "Passed"), Result("B.Two", "Failed", "boom"))], Build);

        Assert.Equal((4, 2, 1, 1), (run.Total, run.Passed, run.Failed, run.Skipped));
        Assert.Equal("1 of 4 tests failed", run.Describe());
        Assert.Equal("3 tests: 2 passed, 1 skipped", (run with { Total = 3, Failed = 0 }).Describe());
    }

    [Fact]
    public void A_failed_test_is_at_the_first_frame_in_the_built_code()
    {
        var stack = "   at Xunit.Assert.Equal(Int32 expected, Int32 actual) in /_/src/Assert.cs:line 90\n" +
                    $"   at CalcTests.Adds() in {Build}/test/Calc.Tests/CalcTests.cs:line 8\n" +
                    $"   at Helpers.Run() in {Build}/test/Calc.Tests/Helpers.cs:line 3";

        var failure = Assert.Single(TestRun.FromReports(VSTest("t.csproj"), [Trx(Result("CalcTests.Adds", "Failed", "Assert.Equal() Failure: Values differ", stack))], Build).Failures);

        Assert.Equal(new FailedTest("CalcTests.Adds", "Assert.Equal() Failure: Values differ", "test/Calc.Tests/CalcTests.cs", 8), failure);
    }

    [Fact]
    public void A_failure_without_a_frame_in_the_code_has_no_place_and_a_broken_report_counts_nothing()
    {
        var run = TestRun.FromReports(VSTest("t.csproj"), [Trx(Result("T.Times_out", "Timeout", "Test timed out")), "<TestRun><Resul"], Build);

        Assert.Equal(1, run.Failed);
        Assert.Equal(new FailedTest("T.Times_out", "Test timed out", null, 0), run.Failures[0]);
    }

    [Fact]
    public void No_report_is_no_test()
    {
        var run = TestRun.FromReports(VSTest("t.csproj"), [], Build);

        Assert.Equal(0, run.Total);
        Assert.True(new VerificationResult(Spec.VerifyMode.Test, 0, [], 1, []) { Tests = run }.RanNoTest);
        Assert.False(new VerificationResult(Spec.VerifyMode.Test, 1, [], 1, []) { Tests = run }.RanNoTest);
    }

    [Fact]
    public void A_project_whose_platform_writes_no_report_is_not_counted_and_not_taken_for_no_test()
    {
        var run = TestRun.FromReports([new TestedProject("u.csproj", TestPlatform.TestingPlatformUnreported)], [], Build);
        var verification = new VerificationResult(Spec.VerifyMode.Test, 0, [], 1, []) { Tests = run };

        Assert.Equal(["u.csproj"], run.Uncounted);
        Assert.False(verification.RanNoTest);
        Assert.True(verification.Succeeded);
        Assert.Equal("dotnet test passed (tests of u.csproj not counted)", verification.Outcome);
    }
}
