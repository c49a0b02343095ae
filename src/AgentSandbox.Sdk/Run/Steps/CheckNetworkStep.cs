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
        // With the allowlist, the network the proxy reaches out through; the run's own network is made with each container.
        var network = spec.Egress?.EgressNetwork ?? spec.Network;
        if (!BuiltIn.Contains(network) && !await engine.NetworkExistsAsync(network, cancellationToken).ConfigureAwait(false))
        {
            throw Diagnostics.NetworkNotFound(network, spec.Egress is null ? "AgentNetwork" : "AgentEgressNetwork");
        }
    }
}
