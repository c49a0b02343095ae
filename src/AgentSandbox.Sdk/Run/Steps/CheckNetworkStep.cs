using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Spec;

namespace AgentSandbox.Run.Steps;

/// <summary>A named network must exist before the container is created, or the engine's error is obscure.</summary>
internal sealed class CheckNetworkStep : IAgentRunStep
{
    private static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.Ordinal) { "bridge", "host", "none" };

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken) =>
        EnsureAsync(context.Spec, context.Engine, cancellationToken);

    public static async Task EnsureAsync(AgentRunSpec spec, IContainerEngine engine, CancellationToken cancellationToken)
    {
        if (!BuiltIn.Contains(spec.Network) && !await engine.NetworkExistsAsync(spec.Network, cancellationToken).ConfigureAwait(false))
        {
            throw Diagnostics.NetworkNotFound(spec.Network);
        }
    }
}
