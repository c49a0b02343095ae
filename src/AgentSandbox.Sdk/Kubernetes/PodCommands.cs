using System.Globalization;
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
        var objects = string.Join("\n---\n", new object[] { PodSpecs.Secret(byName), PodSpecs.Policy(byName), PodSpecs.Pod(byName, files) }
            .Select(item => k8s.KubernetesYaml.Serialize(item).TrimEnd('\n')));
        string Exec(IReadOnlyList<string> command, bool input) =>
            Text.CommandLine(["kubectl", "exec", .. input ? ["--stdin"] : (string[])[], "--namespace", space, request.Name, "--container", KubernetesEngine.SandboxContainer, "--", .. command]);
        List<string> commands =
        [
            $"kubectl apply --namespace {space} -f - <<'EOF'\n{objects}\nEOF",
            $"kubectl wait --namespace {space} --for=condition=Ready pod/{request.Name}",
            Exec(HeldContainer.CopyIn(files.Folder), input: true) + " < workspace.tar",
        ];
        if (request.Stdin is { } stdin)
        {
            commands.Add(Exec(HeldContainer.SaveInput(System.Text.Encoding.UTF8.GetByteCount(stdin)), input: true) + " < prompt.txt");
        }
        commands.Add(Exec(HeldContainer.Command(request.Command, request.WorkingDirectory, request.Stdin is null ? "/dev/null" : HeldContainer.InputFile), input: false));
        if (files.Received is not null)
        {
            commands.Add(Exec(HeldContainer.CopyOut(files.Folder, files.ChangedOnly), input: false) + " > returned.tar");
        }
        commands.Add(string.Create(CultureInfo.InvariantCulture,
            $"kubectl delete --namespace {space} --grace-period=0 pod/{request.Name} secret/{PodSpecs.SecretName(request)} networkpolicy/{request.Name}"));
        return commands;
    }
}
