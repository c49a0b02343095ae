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

    public bool Succeeded => ExitCode == 0 && !Diagnostics.Any(d => d.IsError);
    public int ErrorCount => Diagnostics.Count(d => d.IsError);
    public int WarningCount => Diagnostics.Count(d => !d.IsError);
}
