namespace AgentSandbox.Spec;

/// <summary>
/// AgentEngine=kubernetes: the run's containers are pods in <paramref name="Namespace"/> of the cluster that the
/// kubeconfig's <paramref name="Context"/> names (KUBECONFIG, ~/.kube/config), or the cluster the build itself runs in.
/// </summary>
/// <param name="Context">AgentKubernetesContext; null for the kubeconfig's current context.</param>
internal sealed record KubernetesCluster(string Namespace, string? Context)
{
    public const string DefaultNamespace = "default";

    /// <summary>The agent's user when the build's is root and AgentUser is not set: a cluster runs the sandbox as non-root.</summary>
    public static readonly Project.HostUser DefaultUser = new(1000, 1000);

    /// <summary>AgentImageRegistry: where the image is pushed for the nodes to pull it; null to use the local image as it is.</summary>
    public string? ImageRegistry { get; init; }

    /// <summary>
    /// AgentKubernetesSecret: a Secret of the namespace whose keys, named as the variables, hold the agent's
    /// credentials; the egress proxy's pod reads them from it, so the build never holds them. Null for none.
    /// </summary>
    public string? CredentialSecret { get; init; }

    public override string ToString() => Context is null ? $"namespace {Namespace}" : $"namespace {Namespace} of context {Context}";
}
