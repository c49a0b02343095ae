using AgentSandbox.Docker;
using AgentSandbox.Logging;
using AgentSandbox.Spec;

namespace AgentSandbox.Run;

/// <summary>Runs an agent as a sequence of steps over its spec.</summary>
public sealed class AgentRunner(IReadOnlyList<IAgentRunStep> steps)
{
    public static AgentRunner Default { get; } = new([
        new CheckNetworkStep(),
        new SnapshotBeforeStep(),
        new RunAgentContainerStep(),
        new DetectChangesStep(),
    ]);

    public async Task<AgentRunResult> RunAsync(AgentRunSpec spec, string imageTag, DockerEngine engine, ISandboxLog log, CancellationToken cancellationToken)
    {
        var context = new AgentRunContext(spec, imageTag, engine, log);
        foreach (var step in steps)
        {
            await step.ExecuteAsync(context, cancellationToken).ConfigureAwait(false);
        }
        return AgentRunResult.From(context);
    }
}
