using AgentSandbox.Workspace;

namespace AgentSandbox.Run.Steps;

/// <summary>What the agent changed: the workspace compared with its snapshot from before the run.</summary>
internal sealed class DetectChangesStep : IAgentRunStep
{
    public bool AlwaysRuns => true;

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Before is { } before)
        {
            context.After = WorkspaceSnapshot.Take(context.Spec.WorkspaceRoot);
            context.ChangedFiles = before.ChangesTo(context.After);
        }
        return Task.CompletedTask;
    }
}
