using AgentSandbox.Kubernetes;

namespace AgentSandbox.Sdk.IntegrationTests.Infrastructure;

/// <summary>
/// A test that needs a Kubernetes cluster besides the Docker engine. Skipped with the reason when none is configured
/// on a developer's machine; run (and so failed) instead when AGENTSANDBOX_REQUIRE_KUBERNETES=1, as in CI.
/// </summary>
public sealed class KubernetesFactAttribute : FactAttribute
{
    public KubernetesFactAttribute() => Skip = TestKubernetes.SkipReason;
}

/// <summary>A <see cref="KubernetesFactAttribute"/> with data: skipped or failed the same way.</summary>
public sealed class KubernetesTheoryAttribute : TheoryAttribute
{
    public KubernetesTheoryAttribute() => Skip = TestKubernetes.SkipReason;
}

/// <summary>
/// The test cluster: only the kubeconfig that AGENTSANDBOX_TEST_KUBECONFIG names (.ci/run starts ../shared/k8s's
/// cluster and names its admin kubeconfig), never the developer's own current context, where tests would make pods
/// in a cluster that is not theirs to test on. Its kubelet uses the local Docker engine, so images built here run.
/// </summary>
public static class TestKubernetes
{
    public static string? Kubeconfig { get; } = Environment.GetEnvironmentVariable("AGENTSANDBOX_TEST_KUBECONFIG") is { Length: > 0 } path ? path : null;

    public const string Namespace = "default";

    public static bool Required => Environment.GetEnvironmentVariable("AGENTSANDBOX_REQUIRE_KUBERNETES") == "1";

    public static string? SkipReason
    {
        get
        {
            var missing = TestDocker.Unavailable ?? Probe.Value;
            return missing is null || Required ? null : missing + " (set AGENTSANDBOX_REQUIRE_KUBERNETES=1 to fail instead of skipping)";
        }
    }

    private static readonly Lazy<string?> Probe = new(() =>
    {
        if (Kubeconfig is null)
        {
            return "No test cluster: set AGENTSANDBOX_TEST_KUBECONFIG to the kubeconfig of a cluster whose kubelet uses this Docker engine (../shared/k8s/up.sh starts one)";
        }
        using var scope = Scope();
        try
        {
            using var engine = KubernetesEngine.Connect(Namespace, null);
            engine.ListLabelledAsync("org.agentsandbox.version", CancellationToken.None).GetAwaiter().GetResult();
            return null;
        }
        catch (Exception exception)
        {
            return "The test cluster does not answer: " + exception.Message;
        }
    });

    /// <summary>KUBECONFIG pointed at the test cluster for what the build reads, plus <paramref name="more"/>.</summary>
    public static EnvironmentScope Scope(params (string Name, string? Value)[] more) =>
        new(new Dictionary<string, string?>(more.Select(variable => KeyValuePair.Create(variable.Name, variable.Value))) { ["KUBECONFIG"] = Kubeconfig });

    public static (int ExitCode, string Output) Kubectl(params string[] arguments) =>
        Shell.Run("kubectl", ["--kubeconfig", Kubeconfig!, "--namespace", Namespace, .. arguments]);

    /// <summary>Pods, Secrets and NetworkPolicies of ours still in the namespace (there should be none after a run).</summary>
    public static string Leftovers() =>
        Kubectl("get", "pods,secrets,networkpolicies", "--selector", "org.agentsandbox.version", "--output", "name").Output.Trim();
}
