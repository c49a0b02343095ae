using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Run.Steps;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Run;

/// <summary>
/// Runs an agent as a sequence of steps over its spec. When a step fails, the steps that must always run
/// (finding what changed) still do, and the failure travels in the result, so result.json is written either way.
/// </summary>
internal sealed class AgentRunner(IReadOnlyList<IAgentRunStep> steps)
{
    public static AgentRunner Default { get; } = new([
        new CheckNetworkStep(),
        new SnapshotBeforeStep(),
        new RunAgentContainerStep(),
        new DetectChangesStep(),
        new GuardHostStep(),
        new CollectFindingsStep(),
        new VerifyStep(),
    ]);

    /// <param name="copy">Copy mode: the workspace as the sandbox holds it; null to mount the user's tree.</param>
    /// <param name="checkpoint">Mount mode: the tree before the run, from which what the check refuses is put back.</param>
    /// <param name="before">Mount mode: the workspace as it is now, when the caller has just taken it; otherwise the run takes it.</param>
    public async Task<AgentRunResult> RunAsync(
        AgentRunSpec spec, string imageTag, IContainerEngine engine, ISandboxLog log, CancellationToken cancellationToken,
        WorkspaceCopy? copy = null, WorkspaceSnapshot? before = null, Checkpoint? checkpoint = null)
    {
        var context = new AgentRunContext(spec, imageTag, engine, log, copy) { Before = before, Checkpoint = checkpoint };
        Exception? failure = null;
        foreach (var step in steps.Where(step => failure is null || step.AlwaysRuns))
        {
            try
            {
                await step.ExecuteAsync(context, failure is null ? cancellationToken : CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception) when (failure is null && exception is AgentSandboxException or OperationCanceledException)
            {
                failure = exception;
            }
        }
        return context.ToResult(failure);
    }
}
