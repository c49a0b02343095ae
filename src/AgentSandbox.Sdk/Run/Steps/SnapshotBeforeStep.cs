using AgentSandbox.Workspace;

namespace AgentSandbox.Run.Steps;

/// <summary>Mount mode: the workspace before the agent touches it, to tell afterwards what it changed (a copy knows by itself).</summary>
internal sealed class SnapshotBeforeStep : IAgentRunStep
{
    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Copy is null)
        {
            context.Before ??= WorkspaceSnapshot.Take(context.Spec.WorkspaceRoot);
        }
        return Task.CompletedTask;
    }
}
