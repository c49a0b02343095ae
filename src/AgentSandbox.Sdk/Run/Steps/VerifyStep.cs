using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Run.Steps;

/// <summary>AgentVerify: after a successful agent run, the project must still build (or its tests pass) inside the sandbox.</summary>
internal sealed class VerifyStep : IAgentRunStep
{
    public async Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        // Refused changes are not built: the build would run what the check exists to stop.
        if (context.Spec.Preset.Verify != VerifyMode.None && context.AgentSucceeded && context.Refusals.Count == 0)
        {
            context.Verification = await SandboxBuild.RunAsync(
                context.Spec, context.ImageTag, context.Engine, context.Spec.Preset.Verify, context.Log, cancellationToken, context.Copy).ConfigureAwait(false);
        }
    }
}
