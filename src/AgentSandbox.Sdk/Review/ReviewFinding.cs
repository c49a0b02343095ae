namespace AgentSandbox.Review;

internal enum FindingSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>Which AgentReview findings fail the build (AgentReviewFailOn).</summary>
internal enum ReviewFailOn
{
    /// <summary>Findings of severity error are build errors; the rest are warnings.</summary>
    Error,

    /// <summary>Findings of severity error or warning are build errors.</summary>
    Warning,

    /// <summary>Every finding is a warning: the review never fails the build.</summary>
    None,
}

/// <summary>One AgentReview finding, as the agent reported it.</summary>
/// <param name="File">Relative to the project directory.</param>
internal sealed record ReviewFinding(FindingSeverity Severity, string File, int Line, string Message)
{
    /// <summary>Whether AgentReviewFailOn makes this finding a build error rather than a warning.</summary>
    public bool FailsBuild(ReviewFailOn failOn) => failOn switch
    {
        ReviewFailOn.Error => Severity == FindingSeverity.Error,
        ReviewFailOn.Warning => Severity >= FindingSeverity.Warning,
        _ => false,
    };
}
