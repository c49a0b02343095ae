using AgentSandbox.Spec;

namespace AgentSandbox.Verification;

/// <summary>The outcome of `dotnet build` or `dotnet test` inside the sandbox.</summary>
/// <param name="OutputTail">The build's last output lines, for failures its diagnostics do not explain (failed tests).</param>
internal sealed record VerificationResult(VerifyMode Mode, long ExitCode, IReadOnlyList<BuildDiagnostic> Diagnostics, long DurationMs, IReadOnlyList<string> OutputTail)
{
    /// <summary>"build" or "test", as in `dotnet build`.</summary>
    public string Verb => SandboxBuild.Verb(Mode);

    /// <summary>The last few non-blank output lines on one line, for a message about a failure its diagnostics do not explain.</summary>
    public string LastLines => string.Join(" / ", OutputTail.Where(line => line.Trim().Length > 0).TakeLast(3).Select(line => line.Trim()));

    /// <summary>Test mode: what the test platform's reports say ran.</summary>
    public TestRun? Tests { get; init; }

    /// <summary>Test mode: `dotnet test` built and ended well but ran no test at all, which proves nothing.</summary>
    public bool RanNoTest => Mode == VerifyMode.Test && BuiltAndExitedWell && Tests is not { Total: > 0 } && Tests is not { Uncounted.Count: > 0 };

    public bool Succeeded => BuiltAndExitedWell && !RanNoTest && Tests is not { Failed: > 0 };

    private bool BuiltAndExitedWell => ExitCode == 0 && !Diagnostics.Any(d => d.IsError);
    /// <summary>"dotnet build passed", "dotnet build failed (2 errors)", "dotnet test passed (12 tests: 12 passed)", "dotnet test failed (2 of 12 tests failed)", "dotnet test ran no test", "dotnet test passed (tests of T.csproj not counted)".</summary>
    public string Outcome =>
        RanNoTest ? "dotnet test ran no test"
        : ErrorCount > 0 ? $"dotnet {Verb} failed ({Common.Text.Count(ErrorCount, "error")})"
        : Tests is { Total: > 0 } or { Uncounted.Count: > 0 } ? $"dotnet {Verb} {(Succeeded ? "passed" : "failed")} ({Tests.Describe()})"
        : $"dotnet {Verb} {(Succeeded ? "passed" : "failed")}";

    public int ErrorCount => Diagnostics.Count(d => d.IsError);
    public int WarningCount => Diagnostics.Count(d => !d.IsError);
}
