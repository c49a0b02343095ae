using AgentSandbox.Workspace;

namespace AgentSandbox.Run.Steps;

/// <summary>The workspace before the agent touches it, to tell afterwards what it changed.</summary>
internal sealed class SnapshotBeforeStep : IAgentRunStep
{
    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        context.Before ??= WorkspaceSnapshot.Take(context.Spec.WorkspaceRoot);
        return Task.CompletedTask;
    }
}
