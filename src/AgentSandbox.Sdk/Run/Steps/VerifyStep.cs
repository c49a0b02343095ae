using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Run.Steps;

/// <summary>AgentVerify: after a successful agent run, the project must still build (or its tests pass) inside the sandbox.</summary>
internal sealed class VerifyStep : IAgentRunStep
{
    public async Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Spec.Preset.Verify != VerifyMode.None && context.AgentSucceeded)
        {
            context.Verification = await SandboxBuild.RunAsync(
                context.Spec, context.ImageTag, context.Engine, context.Spec.Preset.Verify, context.Log, cancellationToken).ConfigureAwait(false);
        }
    }
}
