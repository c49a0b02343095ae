using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Kubernetes;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using k8s.Models;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentEngine=kubernetes's pure parts: the inputs a pod cannot have, the pod and Secret a run makes, the exec's exit status.</summary>
public sealed class KubernetesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private Inputs.SandboxInputs OnCluster(string? network = "bridge") =>
        Specs.Run(_temp.Path) with { Engine = "kubernetes", Network = network };

    [Fact]
    public void The_engine_is_docker_unless_told_and_kubernetes_takes_its_namespace_and_context()
    {
        Assert.Null(Specs.RunSpec(Specs.Run(_temp.Path)).Cluster);
        Assert.Null(Specs.RunSpec(Specs.Run(_temp.Path) with { Engine = "Docker" }).Cluster);
        Assert.Equal(new KubernetesCluster("default", null), Specs.RunSpec(OnCluster()).Cluster);
        Assert.Equal(new KubernetesCluster("agents", "ci"), Specs.RunSpec(OnCluster() with { KubernetesNamespace = " agents ", KubernetesContext = "ci" }).Cluster);
    }

    [Theory]
    [InlineData("podman", "AGS1004")]
    public void An_unknown_engine_is_refused(string engine, string code) =>
        Assert.Equal(code, Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(Specs.Run(_temp.Path) with { Engine = engine })).Code);

    [Theory]
    [InlineData("Agents")]
    [InlineData("a_b")]
    [InlineData("-agents")]
    public void A_namespace_Kubernetes_would_refuse_is_AGS1005(string space) =>
        Assert.Equal("AGS1005", Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(OnCluster() with { KubernetesNamespace = space })).Code);

    [Fact]
    public void A_root_build_runs_the_agent_as_an_ordinary_user_on_a_cluster_and_root_by_name_is_refused()
    {
        Assert.Equal(KubernetesCluster.DefaultUser, Specs.RunSpec(OnCluster(), user: Specs.Root).User);
        Assert.Equal(KubernetesCluster.DefaultUser, Specs.Create(OnCluster(), user: Specs.Root).Spec.Image.User);
        Assert.Equal(Specs.Root, Specs.RunSpec(Specs.Run(_temp.Path), user: Specs.Root).User);
        Assert.Equal(new Project.HostUser(4321, 4321), Specs.RunSpec(OnCluster() with { User = "4321" }, user: Specs.Root).User);
        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(OnCluster() with { User = "0:0" }));
        Assert.Equal("AGS1019", error.Code);
        Assert.Contains("AgentUser", error.Message);
    }

    [Fact]
    public void A_cluster_keeps_no_conversation_so_resuming_one_is_AGS1019_and_AgentFixs_rounds_each_start_anew()
    {
        var resume = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(OnCluster() with { Resume = "true" }));
        Assert.Equal("AGS1019", resume.Code);
        Assert.Contains("AgentResume", resume.Message);
        Assert.Equal("AGS1019", Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(OnCluster() with { SessionId = "0a1b2c3d-0000-4000-8000-000000000000" })).Code);

        Assert.NotNull(Specs.RunSpec(Specs.Run(_temp.Path, target: "AgentFix")).Sessions);
        Assert.Null(Specs.RunSpec(OnCluster() with { Target = "AgentFix" }).Sessions);
    }

    [Theory]
    [InlineData("mount", null, "AgentWorkspaceMode=copy")]
    [InlineData(null, "none", "AgentNetwork=none")]
    [InlineData(null, "my-network", "AgentNetwork=my-network")]
    public void What_a_pod_cannot_have_is_AGS1019_before_anything_is_built(string? mode, string? network, string named)
    {
        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(OnCluster(network ?? "bridge") with { WorkspaceMode = mode }));

        Assert.Equal("AGS1019", error.Code);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void An_extra_mount_is_refused_and_the_allowlist_and_the_pods_own_network_are_taken()
    {
        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(OnCluster() with { ExtraMounts = [(_temp.Path, "/cache", null)] }));
        Assert.Equal("AGS1019", error.Code);
        Assert.Contains(_temp.Path, error.Message);
        Assert.Equal("host", Specs.RunSpec(OnCluster("host")).Network);
    }

    /// <summary>A request as the agent's container gets it, with a secret, the allowlist's proxy and copy mode's files.</summary>
    private static ContainerRequest Request(Project.HostUser? owner = null, bool egress = true) =>
        new ContainerRequest("agentsandbox-agentrun-agent-0123", "agentsandbox:abc", ["claude", "-p", "hi"],
            new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "agentsandbox-caller-token", ["HOME"] = "/home/agent" },
            "/workspace/src", [], "agentsandbox-agentrun-agent-0123-net",
            new Dictionary<string, string> { ["org.agentsandbox.version"] = "0.1.0", ["org.agentsandbox.project"] = "/home/me/repo/src", ["org.agentsandbox.pid-started"] = "ticks:42", ["org.agentsandbox.purpose"] = "agent" },
            SandboxContainer.Limits with { MemoryBytes = 4L << 30, Cpus = 2 })
        {
            Runtime = "gvisor",
            Scratch = [new ScratchFolder("/tmp", 1L << 30)],
            Files = new ContainerFiles(() => Stream.Null, "/workspace", owner ?? new Project.HostUser(1000, 1000), MemoryBytes: 2L << 30),
            Egress = egress ? new EgressGateway("agentsandbox:abc-egress", ["/opt/agentsandbox/egress/agentsandbox-egress"], "{\"key\":\"sk-real-key\"}",
                "agentsandbox-egress", "bridge", _ => { }, _ => false, "{}") : null,
        };

    [Fact]
    public void The_pod_is_held_open_locked_down_and_holds_no_value_of_a_variable()
    {
        var pod = PodSpecs.Pod(Request(), Request().Files!);
        var text = k8s.KubernetesJson.Serialize(pod);

        Assert.DoesNotContain("agentsandbox-caller-token", text);
        Assert.DoesNotContain("sk-real-key", text);
        Assert.Equal("Never", pod.Spec.RestartPolicy);
        Assert.False(pod.Spec.AutomountServiceAccountToken);
        Assert.Equal("gvisor", pod.Spec.RuntimeClassName);
        Assert.Equal(1000, pod.Spec.SecurityContext.RunAsUser);
        Assert.True(pod.Spec.SecurityContext.RunAsNonRoot);
        Assert.Equal("RuntimeDefault", pod.Spec.SecurityContext.SeccompProfile.Type);
        var sandbox = Assert.Single(pod.Spec.Containers);
        Assert.Equal(HeldContainer.Holder, sandbox.Command);
        Assert.All(sandbox.Env, variable => Assert.Equal("agentsandbox-agentrun-agent-0123-secrets", variable.ValueFrom.SecretKeyRef.Name));
        Assert.Equal(["ANTHROPIC_API_KEY", "HOME"], sandbox.Env.Select(variable => variable.Name));
        Assert.False(sandbox.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], sandbox.SecurityContext.Capabilities.Drop);
        Assert.Equal("4294967296", sandbox.Resources.Limits["memory"].ToString());
        Assert.Equal("536870912", sandbox.Resources.Requests["memory"].ToString());
        Assert.Equal("2", sandbox.Resources.Limits["cpu"].ToString());
        // The workspace in memory, /tmp in memory; the proxy's configuration is not in this pod at all.
        Assert.Equal("Memory", pod.Spec.Volumes.Single(volume => volume.Name == "workspace").EmptyDir.Medium);
        Assert.Equal(["/workspace", "/tmp"], sandbox.VolumeMounts.Select(mount => mount.MountPath));
        Assert.DoesNotContain(pod.Spec.Volumes, volume => volume.Secret is not null);
        Assert.Null(pod.Spec.HostAliases);
    }

    [Fact]
    public void The_agent_is_told_the_proxy_pods_address_in_every_variable_that_names_the_proxy_and_only_those()
    {
        var request = Request() with
        {
            Environment = new Dictionary<string, string>
            {
                ["ANTHROPIC_API_KEY"] = "agentsandbox-caller-token", ["HTTPS_PROXY"] = "http://agentsandbox-egress:3128",
                ["ANTHROPIC_BASE_URL"] = "http://agentsandbox-egress:3129", ["no_proxy"] = "agentsandbox-egress,localhost,127.0.0.1", ["HOME"] = "/home/agent",
            },
        };

        Assert.Equal(["env", "ANTHROPIC_BASE_URL=http://10.1.2.3:3129", "HTTPS_PROXY=http://10.1.2.3:3128", "no_proxy=10.1.2.3,localhost,127.0.0.1", "claude", "-p", "hi"],
            KubernetesEngine.AgentCommand(request, "10.1.2.3"));
        Assert.Equal(["claude", "-p", "hi"], KubernetesEngine.AgentCommand(request with { Egress = null }, null));
    }

    [Fact]
    public void The_proxy_has_a_locked_pod_of_its_own_with_its_configuration_from_the_Secret_and_never_the_agents_user()
    {
        var request = Request();
        var pod = PodSpecs.ProxyPod(request, request.Egress!, request.Files!.Owner);

        Assert.Equal("agentsandbox-agentrun-agent-0123-egress", pod.Metadata.Name);
        Assert.Equal("egress", pod.Metadata.Labels["org.agentsandbox.purpose"]);
        Assert.Equal("egress", pod.Metadata.Annotations["org.agentsandbox.purpose"]);
        Assert.DoesNotContain("sk-real-key", k8s.KubernetesJson.Serialize(pod));
        Assert.Null(pod.Spec.RuntimeClassName);
        Assert.False(pod.Spec.AutomountServiceAccountToken);
        Assert.Equal("RuntimeDefault", pod.Spec.SecurityContext.SeccompProfile.Type);
        var proxy = Assert.Single(pod.Spec.Containers);
        Assert.Equal(65534, proxy.SecurityContext.RunAsUser);
        Assert.True(proxy.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(proxy.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], proxy.SecurityContext.Capabilities.Drop);
        Assert.Equal(["/var/run/agentsandbox-egress"], proxy.VolumeMounts.Select(mount => mount.MountPath));
        var configuration = Assert.Single(pod.Spec.Volumes).Secret;
        Assert.Equal("agentsandbox-agentrun-agent-0123-secrets", configuration.SecretName);
        Assert.Equal(["egress-configuration"], configuration.Items.Select(item => item.Key));
        var nobody = Request(new Project.HostUser(65534, 65534));
        Assert.Equal(65533, PodSpecs.ProxyPod(nobody, nobody.Egress!, nobody.Files!.Owner).Spec.Containers[0].SecurityContext.RunAsUser);
    }

    [Fact]
    public void With_an_allowlist_the_sandboxs_pod_reaches_its_proxys_pod_only_and_the_proxy_takes_connections_from_it_only()
    {
        var request = Request();
        var sandbox = PodSpecs.Pod(request, request.Files!).Metadata.Labels;
        var proxy = PodSpecs.ProxyPod(request, request.Egress!, request.Files!.Owner).Metadata.Labels;
        var policy = PodSpecs.Policy(request).Spec;
        var proxyPolicy = PodSpecs.ProxyPolicy(request).Spec;

        static bool Selects(IDictionary<string, string> selector, IDictionary<string, string> labels) => selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
        Assert.True(Selects(policy.PodSelector.MatchLabels, sandbox));
        Assert.False(Selects(policy.PodSelector.MatchLabels, proxy));
        Assert.Equal(["Ingress", "Egress"], policy.PolicyTypes);
        Assert.Empty(policy.Ingress);
        var way = Assert.Single(Assert.Single(policy.Egress).To);
        Assert.True(Selects(way.PodSelector.MatchLabels, proxy));
        Assert.False(Selects(way.PodSelector.MatchLabels, sandbox));
        Assert.Null(way.IpBlock);
        Assert.Null(Assert.Single(policy.Egress).Ports);

        Assert.True(Selects(proxyPolicy.PodSelector.MatchLabels, proxy));
        Assert.Equal(["Ingress"], proxyPolicy.PolicyTypes);
        var from = Assert.Single(Assert.Single(proxyPolicy.Ingress).FromProperty);
        Assert.True(Selects(from.PodSelector.MatchLabels, sandbox));
        Assert.False(Selects(from.PodSelector.MatchLabels, proxy));

        // Without an allowlist the way out is the cluster's: no egress rules, no proxy.
        var open = PodSpecs.Policy(Request(egress: false)).Spec;
        Assert.Equal(["Ingress"], open.PolicyTypes);
        Assert.Null(open.Egress);
    }

    [Fact]
    public void Labels_a_cluster_cannot_take_are_annotations_only_and_every_label_is_an_annotation()
    {
        var metadata = PodSpecs.Pod(Request(), Request().Files!).Metadata;

        Assert.Equal("0.1.0", metadata.Labels["org.agentsandbox.version"]);
        Assert.False(metadata.Labels.ContainsKey("org.agentsandbox.project"));
        Assert.False(metadata.Labels.ContainsKey("org.agentsandbox.pid-started"));
        Assert.Equal("/home/me/repo/src", metadata.Annotations["org.agentsandbox.project"]);
        Assert.Equal("ticks:42", metadata.Annotations["org.agentsandbox.pid-started"]);
        Assert.Equal(metadata.Labels["org.agentsandbox.pod"], PodSpecs.Policy(Request()).Spec.PodSelector.MatchLabels["org.agentsandbox.pod"]);
    }

    [Fact]
    public void The_Secret_holds_the_variables_and_the_proxys_configuration()
    {
        var secret = PodSpecs.Secret(Request());

        Assert.Equal("agentsandbox-caller-token", secret.StringData["ANTHROPIC_API_KEY"]);
        Assert.Equal("{\"key\":\"sk-real-key\"}\n", secret.StringData["egress-configuration"]);
        Assert.False(PodSpecs.Secret(Request(egress: false)).StringData.ContainsKey("egress-configuration"));
    }

    private static readonly Func<string, string?> NoKeys = _ => null;

    [Fact]
    public void With_AgentKubernetesSecret_the_proxy_reads_the_key_from_that_Secret_and_the_build_never_holds_it()
    {
        var (spec, _) = Specs.Create(OnCluster(network: null) with { KubernetesSecret = "team-keys", AgentKind = "claude" }, NoKeys,
            secretKeys: new Dictionary<string, string[]> { ["team-keys"] = ["ANTHROPIC_AUTH_TOKEN", "unrelated"] });
        var run = spec.Run!;

        Assert.Equal("team-keys", run.Cluster!.CredentialSecret);
        Assert.Equal("ANTHROPIC_AUTH_TOKEN", run.Invocation.CredentialVariable);
        var egress = run.Egress!;
        Assert.Equal(egress.Token, run.Environment.Variables["ANTHROPIC_AUTH_TOKEN"]);
        Assert.False(egress.Secrets.HasValue("ANTHROPIC_AUTH_TOKEN"));
        var credential = Assert.Single(Assert.Single(egress.Configuration(withCredentials: true).Routes).Credentials);
        Assert.Equal(("Authorization", "", "/var/run/agentsandbox-keys/ANTHROPIC_AUTH_TOKEN"), (credential.Header, credential.Secret, credential.SecretFile));
        Assert.Equal(("team-keys", "/var/run/agentsandbox-keys"), (egress.ClusterKeys!.Secret, egress.ClusterKeys.Folder));
        Assert.Equal(["ANTHROPIC_AUTH_TOKEN"], egress.ClusterKeys.Keys);
    }

    [Fact]
    public void The_Secrets_key_wins_over_the_builds_and_the_builds_value_goes_nowhere()
    {
        var run = Specs.Create(OnCluster(network: null) with { KubernetesSecret = "team-keys" }, Specs.WithKey,
            secretKeys: new Dictionary<string, string[]> { ["team-keys"] = ["ANTHROPIC_API_KEY"] }).Spec.Run!;

        Assert.Equal("/var/run/agentsandbox-keys/ANTHROPIC_API_KEY", Assert.Single(Assert.Single(run.Egress!.Configuration(withCredentials: true).Routes).Credentials).SecretFile);
        Assert.DoesNotContain("sk-fake-key", run.Egress.Configuration(withCredentials: true).ToJson());
        Assert.DoesNotContain(run.Environment.Variables.Values, value => value == "sk-fake-key");
    }

    [Fact]
    public void An_AgentCredential_can_come_from_the_Secret_too()
    {
        var run = Specs.Create(OnCluster(network: null) with
        {
            KubernetesSecret = "team-keys", AgentKind = "custom", AgentCommand = "tool",
            Credentials = [new Inputs.CredentialInput("MY_API_KEY", "api.example.com", "x-api-key", "{value}", null)],
        }, NoKeys, secretKeys: new Dictionary<string, string[]> { ["team-keys"] = ["MY_API_KEY"] }).Spec.Run!;

        Assert.Equal("/var/run/agentsandbox-keys/MY_API_KEY", Assert.Single(Assert.Single(run.Egress!.Configuration(withCredentials: true).Routes).Credentials).SecretFile);
        Assert.Equal(run.Egress.Token, run.Environment.Variables["MY_API_KEY"]);
    }

    [Fact]
    public void A_Secret_without_the_agents_key_is_AGS1006_naming_it_and_a_Secret_elsewhere_than_a_cluster_or_beside_an_open_network_is_refused()
    {
        var keys = new Dictionary<string, string[]> { ["team-keys"] = ["SOMETHING_ELSE"] };
        var missing = Assert.Throws<AgentSandboxException>(() => Specs.Create(OnCluster(network: null) with { KubernetesSecret = "team-keys" }, NoKeys, secretKeys: keys));
        Assert.Equal("AGS1006", missing.Code);
        Assert.Contains("'team-keys'", missing.Message);
        Assert.Contains("kubectl create secret generic team-keys --from-literal=ANTHROPIC_API_KEY=...", missing.Message);

        var notFound = Assert.Throws<AgentSandboxException>(() => Specs.Create(OnCluster(network: null) with { KubernetesSecret = "other" }, NoKeys, secretKeys: keys));
        Assert.Equal("AGS1020", notFound.Code);

        var docker = Assert.Throws<AgentSandboxException>(() => Specs.Create(Specs.Run(_temp.Path) with { KubernetesSecret = "team-keys" }));
        Assert.Equal("AGS1005", docker.Code);
        Assert.Contains("AgentEngine=kubernetes", docker.Message);

        var open = Assert.Throws<AgentSandboxException>(() => Specs.Create(OnCluster("bridge") with { KubernetesSecret = "team-keys" }, secretKeys: keys));
        Assert.Equal("AGS1005", open.Code);
        Assert.Contains("AgentNetwork=allowlist", open.Message);

        Assert.Equal("AGS1005", Assert.Throws<AgentSandboxException>(() => Specs.Create(OnCluster(network: null) with { KubernetesSecret = "Team_Keys" }, secretKeys: keys)).Code);
    }

    [Fact]
    public void The_proxys_pod_alone_mounts_the_Secrets_keys_it_adds()
    {
        var request = Request();
        var keys = new SecretKeys("team-keys", ["ANTHROPIC_API_KEY"], "/var/run/agentsandbox-keys");
        var proxy = PodSpecs.ProxyPod(request, request.Egress! with { ClusterKeys = keys }, request.Files!.Owner);
        var sandbox = PodSpecs.Pod(request with { Egress = request.Egress! with { ClusterKeys = keys } }, request.Files!);

        var volume = proxy.Spec.Volumes.Single(volume => volume.Secret?.SecretName == "team-keys").Secret;
        Assert.Equal([("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY")], volume.Items.Select(item => (item.Key, item.Path)));
        Assert.Contains(proxy.Spec.Containers[0].VolumeMounts, mount => mount.MountPath == "/var/run/agentsandbox-keys" && mount.ReadOnlyProperty == true);
        Assert.DoesNotContain("team-keys", k8s.KubernetesJson.Serialize(sandbox));
    }

    [Fact]
    public void A_pod_that_runs_and_is_ready_is_not_gone_and_any_other_says_why_in_the_clusters_words()
    {
        static V1Pod Pod(string phase, string? ready = "True", string? reason = null, string? message = null, bool deleting = false) => new()
        {
            Metadata = new V1ObjectMeta { Name = "p", DeletionTimestamp = deleting ? DateTime.UtcNow : null },
            Spec = new V1PodSpec { NodeName = "node-1" },
            Status = new V1PodStatus
            {
                Phase = phase, Reason = reason, Message = message,
                Conditions = ready is null ? null : [new V1PodCondition { Type = "Ready", Status = ready }],
            },
        };

        Assert.Null(KubernetesEngine.WhyGone(Pod("Running")));
        Assert.Null(KubernetesEngine.WhyGone(Pod("Running", ready: null)));
        Assert.Equal("it is no longer ready: its node node-1 stopped answering, or its container ended", KubernetesEngine.WhyGone(Pod("Running", ready: "Unknown")));
        Assert.Equal("it is being deleted (Terminated), on node node-1", KubernetesEngine.WhyGone(Pod("Running", reason: "Terminated", deleting: true)));
        Assert.Equal("Evicted: The node was low on memory. on node node-1", KubernetesEngine.WhyGone(Pod("Failed", reason: "Evicted", message: "The node was low on memory.")));
        Assert.Equal("phase Succeeded on node node-1", KubernetesEngine.WhyGone(Pod("Succeeded")));
        Assert.Equal("Evicted: \\u001b[31mred on node node-1", KubernetesEngine.WhyGone(Pod("Failed", reason: "Evicted", message: "\u001b[31mred")));
    }

    [Theory]
    [InlineData("""{"metadata":{},"status":"Success"}""", 0L)]
    [InlineData("""{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}""", 3L)]
    [InlineData("", null)]
    [InlineData("""{"status":"Failure","reason":"InternalError"}""", null)]
    [InlineData("not json", null)]
    public void The_execs_status_gives_its_exit_code_or_none_when_the_pod_went(string status, long? code) =>
        Assert.Equal(code, KubernetesEngine.ExitCode(status));

    [Fact]
    public void The_command_runs_in_its_folder_from_the_saved_input_and_ends_what_it_left()
    {
        var command = HeldContainer.Command(["claude", "-p", "a 'quoted' $(prompt)"], "/workspace/src", HeldContainer.InputFile);

        Assert.Equal(["sh", "-c", "cd \"$0\" || exit 127; \"$@\" < /tmp/.agentsandbox-input; status=$?; kill -s KILL -- -1 2>/dev/null; exit $status",
            "/workspace/src", "claude", "-p", "a 'quoted' $(prompt)"], command);
        Assert.Equal(["sh", "-c", "head -c 1234 > /tmp/.agentsandbox-input"], HeldContainer.SaveInput(1234));
    }
}
