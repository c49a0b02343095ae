namespace AgentSandbox.Errors;

/// <summary>
/// A failure the user can fix. Its message is one sentence saying what is wrong and what to do;
/// the tasks log it as an MSBuild error with <see cref="Code"/> and never with a stack trace.
/// </summary>
public sealed class AgentSandboxException(string code, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public string Code { get; } = code;
}

/// <summary>A coded warning: something worked, but not the way the user probably wants.</summary>
public sealed record Warning(string Code, string Message);
