namespace AgentSandbox.Review;

public enum FindingSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>One AgentReview finding, as the agent reported it.</summary>
/// <param name="File">Relative to the project directory.</param>
public sealed record ReviewFinding(FindingSeverity Severity, string File, int Line, string Message);

public static class ReviewFindingPolicy
{
    /// <summary>Whether AgentReviewFailOn makes this finding a build error rather than a warning.</summary>
    public static bool FailsBuild(this ReviewFinding finding, Spec.ReviewFailOn failOn) => failOn switch
    {
        Spec.ReviewFailOn.Error => finding.Severity == FindingSeverity.Error,
        Spec.ReviewFailOn.Warning => finding.Severity >= FindingSeverity.Warning,
        _ => false,
    };
}
