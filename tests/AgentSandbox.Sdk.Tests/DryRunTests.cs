using AgentSandbox.Image;
using AgentSandbox.Pipeline;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentDryRun: the docker commands equivalent to a run, with every option and no secret value.</summary>
public sealed class DryRunTests
{
    private static IReadOnlyList<string> Commands(string mode) =>
        AgentTargetPipeline.DryRun(Specs.Create(Specs.Run(Specs.SomeProjectDirectory) with
        {
            WorkspaceMode = mode, MemoryLimit = "2g", CpuLimit = "1.5", Runtime = "runsc", Network = "none", BaseImage = "base:1",
        }).Spec, "/ctx");

    [Fact]
    public void Copy_mode_holds_a_container_open_while_the_tree_goes_in_the_agent_runs_as_its_owner_and_the_tree_comes_back()
    {
        var commands = Commands("copy");

        Assert.Equal(6, commands.Count);
        Assert.StartsWith("docker build -f /ctx/Dockerfile -t 'agentsandbox:<hash", commands[0]);
        Assert.StartsWith("docker run --detach --user 65534:65534 --name agentsandbox-agentrun-agent-", commands[1]);
        Assert.EndsWith(" tail -f /dev/null", commands[1]);
        foreach (var option in new[] { "--network none", "--cap-drop ALL", "--security-opt no-new-privileges", "--pids-limit 4096", "--init",
            "--memory 2147483648 --memory-swap 2147483648", "--cpus 1.5", "--runtime runsc", "--env ANTHROPIC_API_KEY", "--label org.agentsandbox.run=test-run",
            // A small tree is in memory: an eighth of the 2 GiB at most, in a tmpfs of half of it, the agent's own.
            "--tmpfs '/workspace:rw,exec,nosuid,nodev,size=1073741824,uid=1000,gid=1000,mode=0700'" })
        {
            Assert.Contains(option, commands[1]);
        }
        Assert.DoesNotContain("sk-fake-key", string.Join("\n", commands));
        // Nothing of the host: the package cache is the engine's volume.
        Assert.DoesNotContain("type=bind", commands[1]);
        Assert.Contains("--mount 'type=volume,source=agentsandbox-nuget-", commands[1]);
        Assert.Matches("^docker exec --interactive --user 1000:1000 agentsandbox-agentrun-agent-[0-9a-f]+ sh -c 'tar -x -p --no-same-owner --no-recursion --anchored --exclude=workspace -f - -C / && cd / && find workspace -print0 \\| LC_ALL=C sort -z > /tmp/.agentsandbox-copied-in' < workspace.tar$", commands[2]);
        Assert.StartsWith("docker exec --user 1000:1000 --workdir /workspace agentsandbox-agentrun-agent-", commands[3]);
        Assert.Contains(" sh -c '\"$@\"; status=$?; kill -s KILL -- -1 2>/dev/null; exit $status' sh claude ", commands[3]);
        // A listing of the tree, then only what changed since the copy came in.
        Assert.Matches("^docker exec --user 1000:1000 agentsandbox-agentrun-agent-[0-9a-f]+ sh -c 'kill -s KILL -- -1 2>/dev/null; cd / && .*find workspace -cnewer /tmp/.agentsandbox-copied-in -print0.* -T -' > returned.tar$", commands[4]);
        Assert.StartsWith("docker rm --force --volumes", commands[5]);
    }

    [Fact]
    public void Mount_mode_is_one_docker_run_with_the_workspace_mounted()
    {
        var commands = Commands("mount");

        Assert.Equal(2, commands.Count);
        Assert.StartsWith("docker run --rm ", commands[1]);
        Assert.Contains($"--mount 'type=bind,source={Specs.SomeProjectDirectory},target=/workspace' ", commands[1]);
    }

    [Fact]
    public void Our_fixed_settings_are_printed_with_their_values_so_the_line_runs_as_it_is_and_anything_else_by_name()
    {
        var run = Commands("mount")[1];

        Assert.Contains("--env CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 --env DISABLE_AUTOUPDATER=1 ", run);
        Assert.Contains("--env ANTHROPIC_API_KEY ", run);
        Assert.DoesNotContain("ANTHROPIC_API_KEY=", run);
        Assert.DoesNotContain("sk-fake-key", run);
    }

    [Fact]
    public void On_a_cluster_the_pod_its_Secret_and_policy_are_applied_with_values_by_name_and_the_tree_goes_through_kubectl_exec()
    {
        var commands = AgentTargetPipeline.DryRun(Specs.Create(Specs.Run(Specs.SomeProjectDirectory) with
        {
            Engine = "kubernetes", KubernetesNamespace = "agents", ImageRegistry = "registry.example.com/team", BaseImage = "base:1", Network = "allowlist",
        }).Spec, "/ctx");

        Assert.StartsWith("docker build ", commands[0]);
        // The sandbox image with the proxy on top, one image for both pods.
        Assert.StartsWith("docker push 'registry.example.com/team/agentsandbox:<hash>-egress-", commands[3]);
        commands = commands.SkipWhile(command => !command.StartsWith("kubectl ", StringComparison.Ordinal)).ToList();
        var apply = commands[0];
        Assert.StartsWith("kubectl apply --namespace agents -f - <<'EOF'\napiVersion: v1\nkind: Secret\n", apply);
        Assert.Contains("\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n", apply);
        Assert.Contains("ANTHROPIC_API_KEY: $ANTHROPIC_API_KEY", apply);
        // Both pods at once, the proxy's with its configuration by name.
        Assert.Contains("\n---\napiVersion: v1\nkind: Pod\n", apply);
        Assert.Contains("-egress\n", apply);
        Assert.Contains("image: registry.example.com/team/agentsandbox@<digest the push printed>", apply);
        Assert.Contains("runAsNonRoot: true", apply);
        Assert.DoesNotContain("hostAliases", apply);
        Assert.DoesNotContain("sk-fake-key", string.Join("\n", commands));
        Assert.Matches("^kubectl wait --namespace agents --for=condition=Ready pod/(?<pod>agentsandbox-agentrun-agent-[0-9a-f]+) pod/\\k<pod>-egress$", commands[1]);
        Assert.Matches("^kubectl exec --stdin --namespace agents agentsandbox-agentrun-agent-[0-9a-f]+ --container sandbox -- sh -c 'tar -x .*' < workspace.tar$", commands[2]);
        // The agent is told the proxy pod's address when it starts.
        Assert.Matches("^proxy_address=\\$\\(kubectl get --namespace agents pod/agentsandbox-agentrun-agent-[0-9a-f]+-egress --output jsonpath='\\{\\.status\\.podIP\\}'\\)$", commands[3]);
        Assert.Contains("--container sandbox -- sh -c 'cd \"$0\" || exit 127; \"$@\" < /dev/null; status=$?;", commands[4]);
        Assert.Contains(" env 'ANTHROPIC_BASE_URL=http://'\"$proxy_address\"':3129' 'HTTPS_PROXY=http://'\"$proxy_address\"':3128' ", commands[4]);
        Assert.EndsWith(" > returned.tar", commands[5]);
        Assert.Matches("^kubectl delete --namespace agents --grace-period=0 pod/(?<pod>agentsandbox-agentrun-agent-[0-9a-f]+) pod/\\k<pod>-egress secret/\\k<pod>-secrets networkpolicy/\\k<pod> networkpolicy/\\k<pod>-egress$", commands[6]);
        Assert.Equal(7, commands.Count);
    }
}
