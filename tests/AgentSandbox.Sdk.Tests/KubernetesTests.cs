using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Kubernetes;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;

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
            new Dictionary<string, string> { ["org.agentsandbox.version"] = "0.1.0", ["org.agentsandbox.project"] = "/home/me/repo/src", ["org.agentsandbox.pid-started"] = "ticks:42" },
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
        var (sandbox, proxy) = (pod.Spec.Containers[0], pod.Spec.Containers[1]);
        Assert.Equal(HeldContainer.Holder, sandbox.Command);
        Assert.All(sandbox.Env, variable => Assert.Equal("agentsandbox-agentrun-agent-0123-secrets", variable.ValueFrom.SecretKeyRef.Name));
        Assert.Equal(["ANTHROPIC_API_KEY", "HOME"], sandbox.Env.Select(variable => variable.Name));
        foreach (var container in pod.Spec.Containers)
        {
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
            Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
        }
        Assert.Equal("4294967296", sandbox.Resources.Limits["memory"].ToString());
        Assert.Equal("536870912", sandbox.Resources.Requests["memory"].ToString());
        Assert.Equal("2", sandbox.Resources.Limits["cpu"].ToString());
        // The workspace in memory, /tmp in memory; the proxy's configuration mounted into its own container only.
        Assert.Equal("Memory", pod.Spec.Volumes.Single(volume => volume.Name == "workspace").EmptyDir.Medium);
        Assert.Equal(["/workspace", "/tmp"], sandbox.VolumeMounts.Select(mount => mount.MountPath));
        Assert.Equal(["/var/run/agentsandbox-egress"], proxy.VolumeMounts.Select(mount => mount.MountPath));
        Assert.Equal(65534, proxy.SecurityContext.RunAsUser);
        Assert.True(proxy.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal("127.0.0.1", Assert.Single(pod.Spec.HostAliases).Ip);
        Assert.Equal(["agentsandbox-egress"], pod.Spec.HostAliases[0].Hostnames);
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
    public void The_Secret_holds_the_variables_and_the_proxys_configuration_and_a_proxy_never_runs_as_the_agent()
    {
        var secret = PodSpecs.Secret(Request());

        Assert.Equal("agentsandbox-caller-token", secret.StringData["ANTHROPIC_API_KEY"]);
        Assert.Equal("{\"key\":\"sk-real-key\"}\n", secret.StringData["egress-configuration"]);
        var nobody = Request(new Project.HostUser(65534, 65534));
        Assert.Equal(65533, PodSpecs.Pod(nobody, nobody.Files!).Spec.Containers[1].SecurityContext.RunAsUser);
        Assert.Single(PodSpecs.Pod(Request(egress: false), Request().Files!).Spec.Containers);
        Assert.False(PodSpecs.Secret(Request(egress: false)).StringData.ContainsKey("egress-configuration"));
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
