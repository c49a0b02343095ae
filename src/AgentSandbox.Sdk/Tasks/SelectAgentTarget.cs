using AgentSandbox.Errors;
using AgentSandbox.Logging;

namespace AgentSandbox.Tasks;

/// <summary>
/// Records which agent target a build runs. The targets an agent run shares run once per build, so a second agent
/// target in the same build would silently do nothing: it is refused instead (AGS1009).
/// </summary>
public sealed partial class SelectAgentTarget : AgentSandboxTask
{
    private protected override Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(Selected))
        {
            throw Diagnostics.SecondAgentTarget(Selected, Target);
        }
        Selected = Target;
        return Task.CompletedTask;
    }
}
