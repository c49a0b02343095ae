namespace AgentSandbox.Run;

/// <summary>One step of a run. Later steps (egress proxy, checkpoints, workspace copies) slot in as more of these.</summary>
internal interface IAgentRunStep
{
    /// <summary>True for steps that run also after an earlier step failed, like a finally block.</summary>
    bool AlwaysRuns => false;

    Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken);
}
