using AgentSandbox.Common;
using AgentSandbox.Docker;

namespace AgentSandbox.Kubernetes;

/// <summary>
/// AgentDryRun with AgentEngine=kubernetes: the kubectl commands equivalent to what the API server would be asked to
/// do, for reading only. The Secret shows each value by the name it is taken from, never the value.
/// </summary>
internal static class PodCommands
{
    public static IReadOnlyList<string> Run(ContainerRequest request, string space)
    {
        var files = request.Files ?? throw new ArgumentException("A pod gets its files through exec.", nameof(request));
        // What goes to the API server, with the values by name.
        var byName = request with
        {
            Environment = request.Environment.ToDictionary(variable => variable.Key, variable => "$" + variable.Key),
            Egress = request.Egress is { } egress ? egress with { Configuration = egress.ConfigurationByName } : null,
        };
        static string Yaml(IEnumerable<object> items) => string.Join("\n---\n", items.Select(item => k8s.KubernetesYaml.Serialize(item).TrimEnd('\n')));
        var first = new List<object> { PodSpecs.Secret(byName), PodSpecs.Policy(byName) };
        if (byName.Egress is { } proxy)
        {
            first.AddRange([PodSpecs.ProxyPolicy(byName), PodSpecs.ProxyPod(byName, proxy, files.Owner)]);
        }
        string Exec(IReadOnlyList<string> command, bool input) =>
            Text.CommandLine(["kubectl", "exec", .. input ? ["--stdin"] : (string[])[], "--namespace", space, request.Name, "--container", KubernetesEngine.SandboxContainer, "--", .. command]);
        first.Add(PodSpecs.Pod(byName, files));
        List<string> commands =
        [
            $"kubectl apply --namespace {space} -f - <<'EOF'\n{Yaml(first)}\nEOF",
            $"kubectl wait --namespace {space} --for=condition=Ready pod/{request.Name}{(request.Egress is null ? "" : $" pod/{request.GatewayName}")}",
            Exec(HeldContainer.CopyIn(files.Folder), input: true) + " < workspace.tar",
        ];
        if (request.Stdin is { } stdin)
        {
            commands.Add(Exec(HeldContainer.SaveInput(System.Text.Encoding.UTF8.GetByteCount(stdin)), input: true) + " < prompt.txt");
        }
        var command = Exec(HeldContainer.Command(KubernetesEngine.AgentCommand(request, request.Egress is null ? null : ProxyAddress), request.WorkingDirectory,
            request.Stdin is null ? "/dev/null" : HeldContainer.InputFile), input: false);
        if (request.Egress is not null)
        {
            // The agent is told the proxy pod's address when it starts.
            commands.Add($"proxy_address=$(kubectl get --namespace {space} pod/{request.GatewayName} --output jsonpath='{{.status.podIP}}')");
            command = command.Replace(ProxyAddress, "'\"$proxy_address\"'", StringComparison.Ordinal);
        }
        commands.Add(command);
        if (files.Received is not null)
        {
            commands.Add(Exec(HeldContainer.CopyOut(files.Folder, files.ChangedOnly), input: false) + " > returned.tar");
        }
        commands.Add(request.Egress is null
            ? $"kubectl delete --namespace {space} --grace-period=0 pod/{request.Name} secret/{PodSpecs.SecretName(request)} networkpolicy/{request.Name}"
            : $"kubectl delete --namespace {space} --grace-period=0 pod/{request.Name} pod/{request.GatewayName} secret/{PodSpecs.SecretName(request)} networkpolicy/{request.Name} networkpolicy/{request.GatewayName}");
        return commands;
    }

    /// <summary>The proxy pod's address in the agent's command: it makes each argument it is in quoted, and then becomes $proxy_address outside the quotes.</summary>
    private const string ProxyAddress = "<proxy pod address>";
}
