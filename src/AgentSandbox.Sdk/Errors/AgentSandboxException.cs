namespace AgentSandbox.Errors;

/// <summary>
/// A failure the user can fix. Its message is one sentence saying what is wrong and what to do;
/// the tasks log it as an MSBuild error with <see cref="Code"/> and never with a stack trace.
/// </summary>
internal sealed class AgentSandboxException(string code, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public string Code { get; } = code;
}

/// <summary>A coded warning: something worked, but not the way the user probably wants.</summary>
internal sealed record Warning(string Code, string Message);

/// <param name="Subcategory">Who says so: "AgentReview", "sandbox build".</param>
/// <param name="File">A full path on the host; null for the project as a whole.</param>
/// <param name="Line">1-based; 0 when unknown.</param>
internal sealed record SourceProblem(bool IsError, string Subcategory, string? Code, string? File, int Line, int Column, string Message);
