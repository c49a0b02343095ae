using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using k8s;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Kubernetes;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// AgentEngine=kubernetes against a real cluster (../shared/k8s: API server, scheduler, kubelet on this Docker
/// engine): the agent in a pod, the workspace through exec, the key in the proxy pod only, nothing left behind.
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed class KubernetesTests
{
    private const string ApiKey = "sk-cluster-key-0123456789abcdef";

    /// <summary>
    /// The agent's calls: the API with the token it was given (the proxy puts the key in), a host the allowlist does
    /// not name, and what it can see of the cluster and of the proxy's configuration.
    /// </summary>
    private const string ClusterProbe = """
        use strict; use warnings; use IO::Socket::INET;
        sub request {
            my ($host, $port, $text) = @_;
            my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 5) or return "unreachable: $!";
            print $s $text; my $status = <$s> // ""; $status =~ s/\r?\n$//; return $status;
        }
        my ($api, $api_port) = $ENV{MY_API_BASE} =~ m{^http://([^:/]+):(\d+)} or die "no MY_API_BASE";
        my ($proxy, $proxy_port) = $ENV{http_proxy} =~ m{^http://([^:/]+):(\d+)} or die "no http_proxy";
        open my $report, '>', 'cluster-report.txt' or die;
        print $report "uid: $<\n";
        print $report "proxy: $ENV{http_proxy}\n";
        print $report "api: ", request($api, $api_port, "GET /check HTTP/1.1\r\nHost: $api\r\nx-api-key: $ENV{MY_API_KEY}\r\nConnection: close\r\n\r\n"), "\n";
        print $report "refused: ", request($proxy, $proxy_port, "GET http://$ENV{REFUSED}:8080/ HTTP/1.1\r\nHost: $ENV{REFUSED}:8080\r\n\r\n"), "\n";
        print $report "key-seen: ", ($ENV{MY_API_KEY} eq $ENV{KEY_TO_COMPARE} ? "yes" : "no"), "\n";
        print $report "service-account-token: ", (-e "/var/run/secrets/kubernetes.io/serviceaccount/token" ? "mounted" : "none"), "\n";
        print $report "proxy-configuration: ", (-e "/var/run/agentsandbox-egress/configuration" ? "visible" : "not visible"), "\n";
        close $report;
        system("sed", "-i", "s/World/Cluster/", "Program.cs") == 0 or die;
        print "token: $ENV{MY_API_KEY}\n";
        # Long enough for the test to read the pod as the API server holds it.
        sleep 4;
        print "done\n";
        """;

    [KubernetesFact]
    public void A_custom_agent_runs_in_a_locked_pod_reaches_its_API_through_the_proxy_pod_and_its_changes_come_back()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        // The API stand-in: a container of the test's own on the pods' network, answering 200 only to the real key.
        var server = $"agentsandbox-test-api-{id}";
        var started = Shell.Run("docker", "run", "-d", "--name", server, "--network", "bridge", TestDocker.BaseImage, "perl", "-MIO::Socket::INET", "-e",
            $$"""$l = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die; while ($c = $l->accept) { $ok = 0; while (<$c>) { $ok = 1 if /^x-api-key: {{ApiKey}}\r?$/i; last if /^\r?\n$/ } print $c ($ok ? "HTTP/1.0 200 OK\r\n\r\nkey-ok\n" : "HTTP/1.0 401 Unauthorized\r\n\r\n"); close $c }""");
        Assert.True(started.ExitCode == 0, started.Output);
        try
        {
            var address = Shell.Run("docker", "inspect", server, "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}").Output.Trim();
            using var environment = TestKubernetes.Scope(("MY_API_KEY", ApiKey), ("REFUSED", $"refused-{id}.invalid"), ("KEY_TO_COMPARE", ApiKey));
            using var project = new TestProject(extraItems:
                $"""<AgentCredential Include="MY_API_KEY" Host="http://{address}:8080" Header="x-api-key" Format="{"{value}"}" BaseUrlVariable="MY_API_BASE" />""");
            File.WriteAllText(Path.Combine(project.Directory, "probe.pl"), ClusterProbe);
            using var watcher = new PodWatcher();

            var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentKind", "custom"), ("AgentPrompt", "Probe"),
                ("AgentCommand", "perl;probe.pl"), ("AgentEnvironmentVariables", "REFUSED;KEY_TO_COMPARE")));
            var pods = watcher.Stop();

            Assert.True(run.Succeeded, run.Log);
            var report = File.ReadAllLines(Path.Combine(project.Directory, "cluster-report.txt")).ToDictionary(line => line[..line.IndexOf(':')], line => line[(line.IndexOf(':') + 2)..]);
            // A root build's agent is an ordinary user on a cluster.
            Assert.Equal(Environment.UserName == "root" ? "1000" : Shell.Run("id", "-u").Output.Trim(), report["uid"]);
            Assert.StartsWith("HTTP/1.1 200", report["api"]);
            Assert.StartsWith("HTTP/1.1 403", report["refused"]);
            Assert.Equal("no", report["key-seen"]);
            Assert.Equal("none", report["service-account-token"]);
            Assert.Equal("not visible", report["proxy-configuration"]);
            Assert.Contains("Hello, Cluster!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
            Assert.Contains(run.Messages, message => message.Text.StartsWith("AgentRun for Sample: the agent ran in pod default/agentsandbox-agentrun-agent-", StringComparison.Ordinal)
                && message.Text.Contains(" on node ", StringComparison.Ordinal));
            Assert.Contains(run.Messages, message => message.Text == "custom: token: ***");
            using (var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json"))))
            {
                var placement = result.RootElement.GetProperty("pod");
                Assert.Equal("default", placement.GetProperty("namespace").GetString());
                Assert.StartsWith("agentsandbox-agentrun-agent-", placement.GetProperty("name").GetString(), StringComparison.Ordinal);
                Assert.False(string.IsNullOrEmpty(placement.GetProperty("node").GetString()));
            }
            Assert.Contains(run.Warnings, warning => warning.Code == "AGS4105" && warning.Text.Contains($"refused-{id}.invalid", StringComparison.Ordinal));
            Assert.DoesNotContain(ApiKey, run.Log);

            // The pod as the API server held it while the agent ran: locked down, and without the key anywhere.
            var pod = pods.SelectMany(snapshot => snapshot.RootElement.GetProperty("items").EnumerateArray()).FirstOrDefault(item => item.GetProperty("kind").GetString() == "Pod"
                && item.GetProperty("metadata").GetProperty("name").GetString() is { } name && name.StartsWith("agentsandbox-agentrun-agent-", StringComparison.Ordinal) && !name.EndsWith("-egress", StringComparison.Ordinal));
            Assert.True(pod.ValueKind == JsonValueKind.Object, "the agent's pod was never seen");
            Assert.DoesNotContain(ApiKey, pod.GetRawText());
            Assert.DoesNotContain(pods, snapshot => snapshot.RootElement.GetRawText().Contains(ApiKey, StringComparison.Ordinal));
            var spec = pod.GetProperty("spec");
            Assert.False(spec.GetProperty("automountServiceAccountToken").GetBoolean());
            Assert.Equal("Never", spec.GetProperty("restartPolicy").GetString());
            Assert.True(spec.GetProperty("securityContext").GetProperty("runAsNonRoot").GetBoolean());
            Assert.Equal("RuntimeDefault", spec.GetProperty("securityContext").GetProperty("seccompProfile").GetProperty("type").GetString());
            Assert.Equal(["sandbox"], spec.GetProperty("containers").EnumerateArray().Select(container => container.GetProperty("name").GetString()));
            // The proxy in a pod of its own, which the sandbox's pod alone may reach.
            var podName = pod.GetProperty("metadata").GetProperty("name").GetString()!;
            var items = pods.SelectMany(snapshot => snapshot.RootElement.GetProperty("items").EnumerateArray()).ToList();
            var proxy = items.First(item => item.GetProperty("kind").GetString() == "Pod" && item.GetProperty("metadata").GetProperty("name").GetString() == podName + "-egress");
            Assert.Equal(["egress"], proxy.GetProperty("spec").GetProperty("containers").EnumerateArray().Select(container => container.GetProperty("name").GetString()));
            // The agent reached the proxy at its pod's address, which it was told when it started.
            var proxyAddress = items.Where(item => item.GetProperty("metadata").GetProperty("name").GetString() == podName + "-egress" && item.GetProperty("kind").GetString() == "Pod")
                .Select(item => item.GetProperty("status").TryGetProperty("podIP", out var ip) ? ip.GetString() : null).First(ip => ip is not null);
            Assert.Equal($"http://{proxyAddress}:3128", report["proxy"]);
            var policies = items.Where(item => item.GetProperty("kind").GetString() == "NetworkPolicy").Select(item => item.GetProperty("metadata").GetProperty("name").GetString()).ToHashSet();
            Assert.Contains(podName, policies);
            Assert.Contains(podName + "-egress", policies);
            foreach (var container in spec.GetProperty("containers").EnumerateArray().Concat(proxy.GetProperty("spec").GetProperty("containers").EnumerateArray()))
            {
                var security = container.GetProperty("securityContext");
                Assert.False(security.GetProperty("allowPrivilegeEscalation").GetBoolean());
                Assert.Equal(["ALL"], security.GetProperty("capabilities").GetProperty("drop").EnumerateArray().Select(capability => capability.GetString()));
                Assert.True(container.GetProperty("resources").GetProperty("limits").TryGetProperty("memory", out _));
            }
            Assert.Equal("", TestKubernetes.Leftovers());
        }
        finally
        {
            Shell.Run("docker", "rm", "-f", server);
        }
    }

    [KubernetesFact]
    public async Task Claude_Code_works_in_a_pod_through_the_proxy_pod_with_its_key_only_there()
    {
        const string apiKey = "sk-ant-cluster-real-key-0123456789";
        using var network = new TestNetwork();
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Bash", new { command = "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | sort -u > seen-env.txt; env >> seen-env.txt" }),
            new ToolUseTurn("Edit", new { file_path = "/workspace/Program.cs", old_string = "Hello, World!", new_string = "Hello, cluster!" }),
            new TextTurn("Done in a pod."),
        ], apiKey, network.Gateway);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var cluster = TestKubernetes.Scope(("ANTHROPIC_API_KEY", apiKey), ("ANTHROPIC_BASE_URL", api.BaseUrl.ToString()));
        using var project = new TestProject();
        using var watcher = new PodWatcher();

        var (run, joined) = await BuildJoiningAsync(project, network, SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentPrompt", "Greet the cluster")));
        var pods = watcher.Stop();

        Assert.True(joined, "the proxy's pod was never seen to join the test's network");
        var seen = OnlyTheApiGotTheKey(api, apiKey, project, run, pods);
        Assert.Contains("Hello, cluster!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Contains(run.MessageLines, line => line.StartsWith("AgentRun for Sample: Claude Code 2.1.328 succeeded:", StringComparison.Ordinal));
        Assert.Contains("ANTHROPIC_BASE_URL=http://agentsandbox-egress:", seen);
        Assert.Contains(pods, snapshot => snapshot.RootElement.GetRawText().Contains("agentsandbox-agentrun-agent-", StringComparison.Ordinal));
    }

    /// <summary>
    /// A Claude Code run through the proxy's pod, as its API and the agent's own Bash turn (seen-env.txt) saw it: the
    /// API got the real key on every request, and the agent, the run's pods and the build's log never held it.
    /// </summary>
    /// <returns>What the agent saw of its processes' environments.</returns>
    private static string OnlyTheApiGotTheKey(FakeAnthropicApi api, string apiKey, TestProject project, BuildRun run, IReadOnlyList<JsonDocument> pods)
    {
        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(api.Requests, request => request.Kind == RequestKind.ConversationTurn);
        Assert.All(api.Requests, request => Assert.Equal(apiKey, request.ApiKey));
        var seen = File.ReadAllText(Path.Combine(project.Directory, "seen-env.txt"));
        Assert.DoesNotContain(apiKey, seen);
        Assert.Contains("ANTHROPIC_API_KEY=agentsandbox-", seen);
        Assert.DoesNotContain(pods, snapshot => snapshot.RootElement.GetRawText().Contains(apiKey, StringComparison.Ordinal));
        Assert.DoesNotContain(apiKey, run.Log);
        Assert.Equal("", TestKubernetes.Leftovers());
        return seen;
    }

    [KubernetesFact]
    public async Task Claude_Code_takes_its_key_from_a_Secret_the_team_has_which_only_the_proxys_pod_mounts()
    {
        const string apiKey = "sk-ant-team-secret-key-0123456789";
        var secret = $"agentsandbox-test-keys-{Guid.NewGuid():N}"[..36];
        using var network = new TestNetwork();
        await using var api = FakeAnthropicApi.Start(
        [
            // The pods stay up a moment longer than the run needs, so that the watcher's polls (a second apart here) see them.
            new ToolUseTurn("Bash", new { command = "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | sort -u > seen-env.txt; env >> seen-env.txt; ls -R /var/run >> seen-env.txt 2>&1; sleep 3" }),
            new TextTurn("Done with the team's key."),
        ], apiKey, network.Gateway);
        // The build's environment has no key at all.
        using var cluster = TestKubernetes.Scope(("ANTHROPIC_API_KEY", null), ("ANTHROPIC_BASE_URL", api.BaseUrl.ToString()));
        using var project = new TestProject();

        var missing = project.Build("AgentRun", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentPrompt", "Hi"), ("AgentKubernetesSecret", secret)));
        Assert.False(missing.Succeeded);
        Assert.Contains(missing.Errors, error => error.Code == "AGS1020" && error.Text.Contains($"'{secret}'", StringComparison.Ordinal));

        Assert.Equal(0, TestKubernetes.Kubectl("create", "secret", "generic", secret, $"--from-literal=ANTHROPIC_API_KEY={apiKey}").ExitCode);
        try
        {
            using var watcher = new PodWatcher();
            var (run, joined) = await BuildJoiningAsync(project, network, SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentPrompt", "Greet the team"), ("AgentKubernetesSecret", secret)));
            var pods = watcher.Stop();

            Assert.True(joined, "the proxy's pod was never seen to join the test's network");
            Assert.DoesNotContain("agentsandbox-keys", OnlyTheApiGotTheKey(api, apiKey, project, run, pods));
            // The Secret is named by the proxy's pod only, and the key is in no object of the run's.
            var items = pods.SelectMany(snapshot => snapshot.RootElement.GetProperty("items").EnumerateArray()).Where(item => item.GetProperty("kind").GetString() == "Pod").ToList();
            Assert.Contains(items, pod => pod.GetProperty("metadata").GetProperty("name").GetString()!.EndsWith("-egress", StringComparison.Ordinal) && pod.GetRawText().Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(items, pod => !pod.GetProperty("metadata").GetProperty("name").GetString()!.EndsWith("-egress", StringComparison.Ordinal) && pod.GetRawText().Contains(secret, StringComparison.Ordinal));
            // The team's Secret stays as it was.
            Assert.Equal(0, TestKubernetes.Kubectl("get", "secret", secret).ExitCode);
        }
        finally
        {
            TestKubernetes.Kubectl("delete", "secret", secret);
        }
    }

    [KubernetesFact]
    public async Task With_AgentImageRegistry_the_image_is_pushed_and_the_pod_runs_it_by_digest()
    {
        // Debian's docker-registry on a loopback port of the test's own, storing into a folder of its own.
        var storage = Directory.CreateTempSubdirectory("agentsandbox-registry-").FullName;
        var port = SecondEngine.FreePort();
        var config = Path.Combine(storage, "config.yml");
        File.WriteAllText(config, $"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {storage}/data\nhttp:\n  addr: 127.0.0.1:{port}\n");
        using var registry = Process.Start(new ProcessStartInfo("docker-registry", ["serve", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        using var http = new HttpClient();
        try
        {
            // Refused until it listens.
            Assert.True(StoppingTests.WaitFor(() => http.GetAsync($"http://127.0.0.1:{port}/v2/").ContinueWith(answer => answer.IsCompletedSuccessfully && answer.Result.IsSuccessStatusCode).Result,
                TimeSpan.FromSeconds(20)), "docker-registry did not answer");
            using var environment = TestKubernetes.Scope();
            using var project = new TestProject();
            using var watcher = new PodWatcher();

            // The allowlist (the default): the proxy's pod runs the same pushed image.
            var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentKind", "custom"),
                ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;echo ran from the registry && sleep 2"), ("AgentImageRegistry", $"127.0.0.1:{port}")));
            var pods = watcher.Stop();

            Assert.True(run.Succeeded, run.Log);
            var pushed = Assert.Single(run.Messages, message => message.Text.StartsWith($"Pushed the sandbox image to 127.0.0.1:{port}/agentsandbox@sha256:", StringComparison.Ordinal)).Text;
            var reference = pushed["Pushed the sandbox image to ".Length..].TrimEnd('.');
            Assert.Contains(run.Messages, message => message.Text == "custom: ran from the registry");
            var images = pods.SelectMany(snapshot => snapshot.RootElement.GetProperty("items").EnumerateArray())
                .Where(item => item.GetProperty("kind").GetString() == "Pod" && item.GetProperty("metadata").GetProperty("name").GetString()!.StartsWith("agentsandbox-agentrun-", StringComparison.Ordinal))
                .SelectMany(pod => pod.GetProperty("spec").GetProperty("containers").EnumerateArray()).Select(container => container.GetProperty("image").GetString()).Distinct().ToList();
            Assert.Equal([reference], images);
            Assert.Equal(2, pods.SelectMany(snapshot => snapshot.RootElement.GetProperty("items").EnumerateArray())
                .Where(item => item.GetProperty("kind").GetString() == "Pod").Select(pod => pod.GetProperty("metadata").GetProperty("name").GetString())
                .Where(name => name!.StartsWith("agentsandbox-agentrun-", StringComparison.Ordinal)).Distinct().Count());
            using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
            Assert.Equal(reference, result.RootElement.GetProperty("image").GetString());
            // The registry holds exactly that manifest.
            using var manifest = new HttpRequestMessage(HttpMethod.Head, $"http://127.0.0.1:{port}/v2/agentsandbox/manifests/{reference[(reference.IndexOf('@') + 1)..]}");
            manifest.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
            Assert.True((await http.SendAsync(manifest)).IsSuccessStatusCode);
        }
        finally
        {
            registry.Kill();
            Directory.Delete(storage, recursive: true);
        }
    }

    [KubernetesFact]
    public async Task Codex_works_in_a_pod_through_the_proxy_pod_with_a_short_prompt_and_with_one_on_standard_input()
    {
        var apiKey = "sk-proj-cluster-" + Guid.NewGuid().ToString("N");
        using var network = new TestNetwork();
        await using var api = FakeOpenAiResponsesApi.Start(
        [
            new ExecTurn("env > seen-env.txt && sed -i 's/Hello, World!/Hello, Codex in a pod!/' Program.cs"), new TextTurn("Done."),
            new ExecTurn("echo long > long.txt"), new TextTurn("Done again."),
        ], apiKey, network.Gateway);
        using var environment = EnvironmentScope.WithOpenAiApi(apiKey, api.BaseUrl);
        using var cluster = TestKubernetes.Scope(("OPENAI_API_KEY", apiKey), ("OPENAI_BASE_URL", api.BaseUrl.ToString()));
        using var project = new TestProject();

        // A short prompt is an argument, and Codex, whose standard input is no terminal, reads it too: it must end.
        var (run, joined) = await BuildJoiningAsync(project, network, SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentKind", "codex"), ("AgentPrompt", "Greet the pod")));

        Assert.True(run.Succeeded, run.Log);
        Assert.True(joined, "the agent's pod was never seen to join the test's network");
        Assert.Contains("Hello, Codex in a pod!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.DoesNotContain(apiKey, File.ReadAllText(Path.Combine(project.Directory, "seen-env.txt")));
        Assert.DoesNotContain(apiKey, run.Log);

        // One too long for a command line goes on standard input, which an exec cannot end before Kubernetes 1.29: as a file.
        var longPrompt = "Write long.txt.\n" + string.Concat(Enumerable.Range(0, 3000).Select(i => $"Context line {i:D5} of a long prompt.\n"));
        File.WriteAllText(Path.Combine(project.Directory, "prompt.md"), longPrompt);
        var (second, joinedAgain) = await BuildJoiningAsync(project, network, SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentKind", "codex"), ("AgentPromptFile", "prompt.md")));

        Assert.True(second.Succeeded, second.Log);
        Assert.True(joinedAgain, "the second pod was never seen to join the test's network");
        Assert.True(File.Exists(Path.Combine(project.Directory, "long.txt")));
        var turns = api.Requests.Where(request => request.Kind == RequestKind.ConversationTurn).ToList();
        Assert.Equal(4, turns.Count);
        Assert.Contains("Context line 02999 of a long prompt.", turns[2].Body!.ToJsonString());
        Assert.All(turns, turn => Assert.Equal(apiKey, turn.ApiKey));
        Assert.Equal("", TestKubernetes.Leftovers());
    }

    /// <summary>
    /// A build whose proxy's pod (the agent's without the allowlist) joins the test's network as it starts (its network
    /// namespace is its sandbox container's, on this Docker engine), where the fake API listens on the host's address.
    /// A first request before the join is retried by the CLI.
    /// </summary>
    private static async Task<(BuildRun Run, bool Joined)> BuildJoiningAsync(TestProject project, TestNetwork network, Dictionary<string, string> properties)
    {
        // Pods of earlier tests may still be going: only a sandbox container that was not there before is this run's.
        // With the allowlist the API is reached from the proxy's pod, which starts first.
        var purpose = properties.TryGetValue("AgentNetwork", out var chosen) && chosen != "allowlist" ? "agent" : "egress";
        string[] Sandboxes() => Shell.Run("docker", "ps", "-q", "--no-trunc", "--filter", "label=io.kubernetes.docker.type=podsandbox",
            "--filter", "label=io.kubernetes.pod.namespace=default", "--filter", $"label=org.agentsandbox.purpose={purpose}").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var before = Sandboxes().ToHashSet();
        var build = Task.Run(() => project.Build("AgentRun", properties));
        var sandbox = "";
        while (sandbox.Length == 0 && !build.IsCompleted)
        {
            await Task.Delay(50);
            sandbox = Sandboxes().FirstOrDefault(id => !before.Contains(id)) ?? "";
        }
        var joined = sandbox.Length > 0 && Shell.Run("docker", "network", "connect", network.Name, sandbox).ExitCode == 0;
        var run = await build;
        if (sandbox.Length > 0)
        {
            Shell.Run("docker", "network", "disconnect", "-f", network.Name, sandbox);
        }
        return (run, joined);
    }

    [KubernetesFact]
    public void AgentTest_runs_the_agent_and_dotnet_test_in_pods_and_counts_the_tests()
    {
        using var environment = TestKubernetes.Scope();
        using var project = PresetEndToEndTests.CalcSolution();
        // The agent writes the test; the sandbox's dotnet test, in a pod of its own, restores from the feed in the workspace.
        File.WriteAllText(Path.Combine(project.Directory, "write-test.sh"), $"cat > CalcTests.cs <<'EOF'\n{PresetEndToEndTests.CalcTests("Assert.Equal(5, Calc.Add(2, 3));")}EOF\necho wrote the test\n");

        var run = project.Build("AgentTest", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentBaseImage", TestDocker.SdkImage), ("AgentKind", "custom"),
            ("AgentCommand", "sh;write-test.sh"), ("AgentTestScope", "Calc/Calc.cs")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, m => m.Text == "custom: wrote the test");
        Assert.Contains(run.MessageLines, line => line.StartsWith("AgentTest for Calc.Tests: custom agent 'sh' succeeded:", StringComparison.Ordinal)
            && line.EndsWith("dotnet test passed (1 test: 1 passed).", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(project.Directory, "CalcTests.cs")));
        Assert.Equal("", TestKubernetes.Leftovers());
    }

    /// <summary>
    /// AgentFix on a cluster: every build and every round is a pod of its own, and a round starts a new conversation
    /// (a pod keeps none). The error the second build finds shows only once the first is fixed.
    /// </summary>
    [KubernetesFact]
    public void AgentFix_builds_and_fixes_in_pods_round_after_round_until_the_build_is_clean()
    {
        using var environment = TestKubernetes.Scope();
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "Program.cs"), "var greeting = Greeting;\nConsole.WriteLine(greeting)\n");
        // One fix per round: the semicolon first (the syntax error hides the other), then the unknown name.
        File.WriteAllText(Path.Combine(project.Directory, "fix.sh"), """
            if grep -q 'WriteLine(greeting)$' Program.cs; then sed -i 's/WriteLine(greeting)$/WriteLine(greeting);/' Program.cs; echo fixed the semicolon
            else sed -i 's/= Greeting;/= "Hello, pods!";/' Program.cs; echo fixed the name; fi
            """);

        var run = project.Build("AgentFix", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentBaseImage", TestDocker.SdkImage), ("AgentKind", "custom"),
            ("AgentCommand", "sh;fix.sh")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal("var greeting = \"Hello, pods!\";\nConsole.WriteLine(greeting);\n", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Contains(run.Messages, m => m.Text == "custom: fixed the semicolon");
        Assert.Contains(run.Messages, m => m.Text == "custom: fixed the name");
        Assert.Contains(run.Messages, m => m.Text == "AgentFix for Sample: the build is clean after 2 iterations.");
        Assert.Equal("", TestKubernetes.Leftovers());
    }

    [KubernetesFact]
    public void A_solution_fans_out_over_the_cluster_one_pod_per_project_at_once()
    {
        using var environment = TestKubernetes.Scope();
        using var first = new TestProject(name: "A");
        var root = SolutionTests.WriteSolution(first, "B", "C");
        // Each reviewer says when it started, then takes its time: three pods at once start within those seconds.
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), $$"""
            <Project>
              <PropertyGroup>
                <AgentBaseImage>{{TestDocker.BaseImage}}</AgentBaseImage>
                <AgentBuildNetwork>host</AgentBuildNetwork>
                <AgentEngine>kubernetes</AgentEngine>
                <AgentKind>custom</AgentKind>
                <AgentCommand>sh;-c;echo "FINDING warning Program.cs:1: reviewed in %24(hostname) from %24(date +%25s)" &amp;&amp; sleep 5</AgentCommand>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(root, "B", "Program.cs"), "class B { }\n");
        File.WriteAllText(Path.Combine(root, "C", "Program.cs"), "class C { }\n");

        var (exitCode, output) = Shell.RunIn(root, "dotnet", "build", "Sol.slnx", "-m:3", "-t:AgentReview", "-p:AgentRunPerProject=true", "-tl:off", "-v:n", "-nodeReuse:false");

        Assert.True(exitCode == 0, output);
        var findings = output.Split('\n').Where(line => line.Contains("warning AGS4201", StringComparison.Ordinal) && line.Contains("reviewed in agentsandbox-agentreview-agent-", StringComparison.Ordinal))
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"reviewed in (\S+) from (\d+)")).Select(match => (Pod: match.Groups[1].Value, Started: long.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Distinct().ToList();
        Assert.Equal(3, findings.Select(finding => finding.Pod).Distinct().Count());
        Assert.True(findings.Max(finding => finding.Started) - findings.Min(finding => finding.Started) < 5, string.Join(", ", findings));
        Assert.Equal(3, output.Split('\n').Count(line => line.Contains(": the agent ran in pod default/agentsandbox-agentreview-agent-", StringComparison.Ordinal)));
        Assert.Equal("", TestKubernetes.Leftovers());
    }

    [KubernetesFact]
    public void AgentTimeout_deletes_the_pod_its_Secret_and_its_NetworkPolicy_and_applies_nothing()
    {
        using var environment = TestKubernetes.Scope();
        using var project = new TestProject();
        var stopwatch = Stopwatch.StartNew();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentNetwork", "bridge"), ("AgentKind", "custom"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;sed -i s/World/Stopped/ Program.cs && echo started && sleep 120"), ("AgentTimeout", "25s")));
        var leftovers = TestKubernetes.Leftovers();

        Assert.False(run.Succeeded, run.Log);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"the build took {stopwatch.Elapsed.TotalSeconds:0} s");
        Assert.Equal("AGS4021", Assert.Single(run.Errors).Code);
        Assert.Contains(run.Messages, message => message.Text == "custom: started");
        Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Equal("", leftovers);
    }

    [KubernetesFact]
    public void SIGTERM_to_the_build_deletes_the_runs_objects_within_5_seconds()
    {
        using var environment = TestKubernetes.Scope();
        using var project = new TestProject();
        var output = new StringBuilder();
        using var build = StoppingTests.StartBuild(project, output, SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentKind", "custom"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;echo x > New.txt && echo started && sleep 120")));

        Assert.True(StoppingTests.WaitFor(() => StoppingTests.Has(output, "custom: started"), TimeSpan.FromMinutes(3)), output.ToString());
        Assert.NotEqual("", TestKubernetes.Leftovers());
        var stopwatch = Stopwatch.StartNew();
        Shell.Run("kill", "-TERM", build.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(StoppingTests.WaitFor(() => TestKubernetes.Leftovers() == "", TimeSpan.FromSeconds(30)), TestKubernetes.Leftovers());
        var cleanedUp = stopwatch.Elapsed;
        Assert.True(build.WaitForExit(TimeSpan.FromSeconds(30)), output.ToString());

        Assert.True(cleanedUp < TimeSpan.FromSeconds(5), $"the run's pod, Secret and NetworkPolicy were gone {cleanedUp.TotalSeconds:0.0} s after SIGTERM");
        Assert.Contains("error AGS4020", output.ToString());
        Assert.False(File.Exists(Path.Combine(project.Directory, "New.txt")));
    }

    /// <summary>
    /// The build itself in a pod, as on a Kubernetes-hosted CI runner: no kubeconfig anywhere, so the cluster is the
    /// one it runs in, through the service account's token the kubelet mounts. First without a RoleBinding (AGS2008
    /// names the service account: that is who asked), then with one. The image is built on this machine's Docker
    /// engine through its socket; the API server is reached on the host's network, as this cluster has no Services.
    /// </summary>
    [KubernetesFact]
    public void A_build_that_runs_in_a_pod_makes_its_pods_with_its_service_account()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var account = $"agentsandbox-test-builder-{id}";
        var server = new Uri(System.Text.RegularExpressions.Regex.Match(File.ReadAllText(TestKubernetes.Kubeconfig!), @"server:\s*""?(https://[^""\s}]+)").Groups[1].Value);
        using var project = new TestProject();
        var folder = Path.Combine(Path.GetTempPath(), $"agentsandbox-builder-{id}");
        Directory.CreateDirectory(folder);
        var binding = $$$"""
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: {{{account}}}}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: {{{account}}}}
            subjects: [{kind: ServiceAccount, name: {{{account}}}}]
            """;
        string Objects(bool bound) => $$$"""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: {{{account}}}}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: {{{account}}}}
            rules:
            - {apiGroups: [""], resources: [pods, pods/exec, pods/log, secrets], verbs: [create, get, list, watch, delete]}
            - {apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [create, get, list, watch, delete]}
            {{{(bound ? binding : "")}}}
            """;

        (string Phase, string Log) Build(string pod)
        {
            var command = string.Join(", ", new[]
            {
                "dotnet", "build", project.ProjectPath, "-t:AgentRun", "-nologo", "-nodeReuse:false", "-tl:off", "-p:AgentEngine=kubernetes", "-p:AgentKind=custom",
                "-p:AgentCommand=sh%3B-c%3Becho ran in a pod made by a pod && echo changed > Changed.txt", "-p:AgentPrompt=Hi",
                $"-p:AgentBaseImage={TestDocker.BaseImage}", "-p:AgentBuildNetwork=host",
            }.Select(argument => JsonSerializer.Serialize(argument)));
            var manifest = Path.Combine(folder, pod + ".yaml");
            File.WriteAllText(manifest, $$$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: {{{pod}}}}
                spec:
                  serviceAccountName: {{{account}}}
                  hostNetwork: true
                  restartPolicy: Never
                  containers:
                  - name: build
                    image: {{{TestDocker.SdkImage}}}
                    imagePullPolicy: IfNotPresent
                    command: [{{{command}}}]
                    env:
                    - {name: KUBERNETES_SERVICE_HOST, value: "{{{server.Host}}}"}
                    - {name: KUBERNETES_SERVICE_PORT, value: "{{{server.Port}}}"}
                    - {name: DOTNET_CLI_TELEMETRY_OPTOUT, value: "1"}
                    volumeMounts:
                    - {name: repository, mountPath: {{{TestProject.RepositoryRoot}}}, readOnly: true}
                    - {name: project, mountPath: {{{project.Directory}}}}
                    - {name: docker, mountPath: /var/run/docker.sock}
                  volumes:
                  - {name: repository, hostPath: {path: {{{TestProject.RepositoryRoot}}}}}
                  - {name: project, hostPath: {path: {{{project.Directory}}}}}
                  - {name: docker, hostPath: {path: /var/run/docker.sock}}
                """);
            Assert.Equal(0, TestKubernetes.Kubectl("apply", "-f", manifest).ExitCode);
            var phase = "";
            StoppingTests.WaitFor(() => (phase = TestKubernetes.Kubectl("get", "pod", pod, "--output", "jsonpath={.status.phase}").Output.Trim()) is "Succeeded" or "Failed", TimeSpan.FromMinutes(4));
            return (phase, TestKubernetes.Kubectl("logs", pod).Output);
        }
        try
        {
            File.WriteAllText(Path.Combine(folder, "unbound.yaml"), Objects(bound: false));
            Assert.Equal(0, TestKubernetes.Kubectl("apply", "-f", Path.Combine(folder, "unbound.yaml")).ExitCode);
            var (refusedPhase, refused) = Build($"{account}-refused");
            Assert.Equal("Failed", refusedPhase);
            Assert.Contains("error AGS2008", refused);
            Assert.Contains($"system:serviceaccount:default:{account}", refused);

            File.WriteAllText(Path.Combine(folder, "bound.yaml"), Objects(bound: true));
            Assert.Equal(0, TestKubernetes.Kubectl("apply", "-f", Path.Combine(folder, "bound.yaml")).ExitCode);
            var (phase, log) = Build(account);
            Assert.True(phase == "Succeeded", log);
            Assert.Contains("custom: ran in a pod made by a pod", log);
            Assert.Contains("AgentRun for Sample: the agent ran in pod default/agentsandbox-agentrun-agent-", log);
            Assert.Equal("changed\n", File.ReadAllText(Path.Combine(project.Directory, "Changed.txt")));
            Assert.Equal("", TestKubernetes.Leftovers());
        }
        finally
        {
            TestKubernetes.Kubectl("delete", "pod", account, $"{account}-refused", "--grace-period=0", "--force", "--ignore-not-found");
            TestKubernetes.Kubectl("delete", "rolebinding,role,serviceaccount", account, "--ignore-not-found");
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// The node lost mid-run, as a cluster sees it: its kubelet stops answering (frozen with SIGSTOP, so that it
    /// comes back as it was) and the cluster marks the pod not ready once the node's grace period is over.
    /// </summary>
    [KubernetesFact]
    public void A_node_that_stops_answering_mid_run_is_AGS4027_and_leaves_nothing_behind_and_the_tree_untouched()
    {
        var kubelet = Shell.Run("pgrep", "-x", "kubelet").Output.Trim();
        Assert.True(kubelet.Length > 0 && !kubelet.Contains('\n', StringComparison.Ordinal), "this test freezes the kubelet of the test cluster (../shared/k8s/up.sh), which runs on this machine");
        using var environment = TestKubernetes.Scope();
        using var project = new TestProject();
        var output = new StringBuilder();
        using var build = StoppingTests.StartBuild(project, output, SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentKind", "custom"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;echo x > New.txt && echo started && sleep 600")));
        Assert.True(StoppingTests.WaitFor(() => StoppingTests.Has(output, "custom: started"), TimeSpan.FromMinutes(3)), output.ToString());

        var stopwatch = Stopwatch.StartNew();
        Shell.Run("kill", "-STOP", kubelet);
        try
        {
            Assert.True(build.WaitForExit(TimeSpan.FromMinutes(3)), output.ToString());
            var noticed = stopwatch.Elapsed;

            Assert.Contains("error AGS4027", output.ToString());
            Assert.Contains("stopped answering", output.ToString());
            Assert.Equal("", TestKubernetes.Leftovers());
            Assert.False(File.Exists(Path.Combine(project.Directory, "New.txt")));
            Console.WriteLine($"A node that stopped answering was AGS4027 {noticed.TotalSeconds:0} s after it stopped.");
        }
        finally
        {
            Shell.Run("kill", "-CONT", kubelet);
            // Ready again, untainted, before the next test asks for a pod.
            TestKubernetes.Kubectl("wait", "node", "--all", "--for=condition=Ready", "--timeout=120s");
            StoppingTests.WaitFor(() => TestKubernetes.Kubectl("get", "nodes", "--output", "jsonpath={.items[*].spec.taints}").Output.Trim().Length == 0, TimeSpan.FromSeconds(60));
        }
    }

    [KubernetesFact]
    public void What_a_build_killed_outright_left_on_the_cluster_is_removed_by_the_next_run_and_by_AgentSandboxClean()
    {
        using var environment = TestKubernetes.Scope();
        using var killed = new TestProject();
        var output = new StringBuilder();
        using (var build = StoppingTests.StartBuild(killed, output, SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentKind", "custom"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;echo started && sleep 120"))))
        {
            Assert.True(StoppingTests.WaitFor(() => StoppingTests.Has(output, "custom: started"), TimeSpan.FromMinutes(3)), output.ToString());
            build.Kill();
            build.WaitForExit();
        }
        // SIGKILL: nothing of the build could clean up: its pod and its proxy's, their Secret and their two policies.
        Assert.Equal(5, TestKubernetes.Leftovers().Split('\n').Length);

        using var next = new TestProject();
        var run = next.Build("AgentRun", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentNetwork", "bridge"), ("AgentKind", "custom"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "true")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal("", TestKubernetes.Leftovers());
        Assert.Contains(run.Messages, message => message.Text.StartsWith("Removed 2 pods, 1 secret and 2 network policies that builds no longer running left behind", StringComparison.Ordinal));

        // A pod of ours whose build still runs (this test process's, by its labels) goes only on demand.
        Assert.Equal(0, TestKubernetes.Kubectl("run", $"agentsandbox-test-live-{Guid.NewGuid():N}"[..40], "--image", TestDocker.BaseImage, "--image-pull-policy", "IfNotPresent",
            "--labels", "org.agentsandbox.version=test", "--restart", "Never", "--command", "--", "sleep", "120").ExitCode);
        Assert.NotEqual("", TestKubernetes.Leftovers());
        var clean = next.Build("AgentSandboxClean", new Dictionary<string, string> { ["AgentEngine"] = "kubernetes" });
        Assert.True(clean.Succeeded, clean.Log);
        Assert.Contains(clean.Messages, message => message.Text.StartsWith("AgentSandboxClean: removed 1 pod, 0 secrets and 0 network policies of AgentSandbox's from the cluster at ", StringComparison.Ordinal));
        Assert.True(StoppingTests.WaitFor(() => TestKubernetes.Leftovers() == "", TimeSpan.FromSeconds(10)), TestKubernetes.Leftovers());
    }

    [KubernetesTheory]
    [InlineData("evict")]
    [InlineData("delete")]
    public async Task A_pod_evicted_or_deleted_under_the_run_is_AGS4027_and_nothing_is_applied(string how)
    {
        using var environment = TestKubernetes.Scope();
        using var project = new TestProject();

        var build = Task.Run(() => project.Build("AgentRun", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentNetwork", "bridge"), ("AgentKind", "custom"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;sed -i s/World/Lost/ Program.cs && echo started && sleep 120"))));
        var pod = "";
        while (pod.Length == 0 && !build.IsCompleted)
        {
            await Task.Delay(200);
            pod = TestKubernetes.Kubectl("get", "pods", "--selector", "org.agentsandbox.purpose=agent", "--field-selector", "status.phase=Running", "--output", "name").Output.Trim();
        }
        await Task.Delay(2000);
        if (how == "evict")
        {
            // As a node drain or a node under pressure ends it: the Eviction API (policy/v1beta1 in 1.20).
            var name = pod["pod/".Length..];
            var eviction = Path.Combine(Path.GetDirectoryName(project.Directory)!, "eviction.json");
            File.WriteAllText(eviction, """{"apiVersion":"policy/v1beta1","kind":"Eviction","metadata":{"name":"NAME","namespace":"default"}}""".Replace("NAME", name, StringComparison.Ordinal));
            var evicted = TestKubernetes.Kubectl("create", "--raw", $"/api/v1/namespaces/default/pods/{name}/eviction", "-f", eviction);
            Assert.True(evicted.ExitCode == 0, evicted.Output);
        }
        else
        {
            // As a node lost ends it: from outside, at once.
            TestKubernetes.Kubectl("delete", pod, "--grace-period=0", "--force", "--wait=false");
        }
        var run = await build;

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.True(error.Code == "AGS4027", error.Code + ": " + error.Text);
        Assert.Contains("it was deleted", error.Text);
        Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.True(StoppingTests.WaitFor(() => TestKubernetes.Leftovers() == "", TimeSpan.FromSeconds(10)), TestKubernetes.Leftovers());
    }

    [KubernetesFact]
    public void A_pod_over_the_namespaces_quota_is_AGS2009_and_an_API_server_that_does_not_answer_is_AGS2006()
    {
        var space = $"agentsandbox-test-{Guid.NewGuid():N}"[..30];
        Assert.Equal(0, TestKubernetes.Kubectl("create", "namespace", space).ExitCode);
        try
        {
            Assert.Equal(0, TestKubernetes.Kubectl("create", "quota", "small", "--namespace", space, "--hard=limits.memory=1Gi,requests.memory=1Gi").ExitCode);
            // In force only once the quota controller has written its status: before the API server has seen the
            // quota a pod is admitted, and before its status is written one is refused as of an unknown quota.
            Assert.True(StoppingTests.WaitFor(() => TestKubernetes.Kubectl("get", "quota", "small", "--namespace", space, "--output", "jsonpath={.status.hard.limits\\.memory}").Output.Trim() == "1Gi",
                TimeSpan.FromSeconds(30)), "the quota got no status within 30 s");
            using var environment = TestKubernetes.Scope();
            using var project = new TestProject();
            var properties = SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentNetwork", "bridge"), ("AgentKind", "custom"),
                ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;sed -i s/World/Quota/ Program.cs"), ("AgentKubernetesNamespace", space));

            var run = project.Build("AgentRun", properties);

            Assert.False(run.Succeeded, run.Log);
            var error = Assert.Single(run.Errors);
            Assert.Equal("AGS2009", error.Code);
            Assert.Contains("exceeded quota", error.Text);
            Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
            Assert.Equal("", TestKubernetes.Kubectl("get", "pods,secrets,networkpolicies", "--namespace", space, "--selector", "org.agentsandbox.version", "--output", "name").Output.Trim());

            // The same, against an API server that is not there.
            var kubeconfig = Path.Combine(project.Directory, "nowhere.kubeconfig");
            File.WriteAllText(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: nowhere, cluster: {server: "https://127.0.0.1:1"}}]
                users: [{name: someone, user: {token: "t"}}]
                contexts: [{name: nowhere, context: {cluster: nowhere, user: someone}}]
                current-context: nowhere
                """);
            using var nowhere = new EnvironmentScope(new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig });
            var unreachable = project.Build("AgentRun", properties);
            Assert.Equal("AGS2006", Assert.Single(unreachable.Errors).Code);
            Assert.Contains("https://127.0.0.1:1", unreachable.Errors[0].Text);
        }
        finally
        {
            TestKubernetes.Kubectl("delete", "namespace", space, "--wait=false");
        }
    }

    [KubernetesFact]
    public void A_namespace_the_builds_account_may_not_use_is_AGS2008_and_nothing_runs()
    {
        // An account of its own with no role at all, as a CI runner's service account in a namespace it was not given.
        var account = $"agentsandbox-test-{Guid.NewGuid():N}"[..30];
        Assert.Equal(0, TestKubernetes.Kubectl("create", "serviceaccount", account).ExitCode);
        var kubeconfig = Path.Combine(Path.GetTempPath(), account + ".kubeconfig");
        try
        {
            var token = "";
            Assert.True(StoppingTests.WaitFor(() =>
            {
                var secret = TestKubernetes.Kubectl("get", "serviceaccount", account, "-o", "jsonpath={.secrets[0].name}").Output.Trim();
                token = secret.Length == 0 ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(TestKubernetes.Kubectl("get", "secret", secret, "-o", "jsonpath={.data.token}").Output.Trim()));
                return token.Length > 0;
            }, TimeSpan.FromSeconds(30)));
            var server = TestKubernetes.Kubectl("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}").Output.Trim();
            var ca = TestKubernetes.Kubectl("config", "view", "--minify", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}").Output.Trim();
            var authority = ca.Length > 0 ? $"certificate-authority-data: {ca}"
                : "certificate-authority: " + TestKubernetes.Kubectl("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority}").Output.Trim();
            File.WriteAllText(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters: [{"{"}name: test, cluster: {"{"}server: "{server}", {authority}{"}"}{"}"}]
                users: [{"{"}name: {account}, user: {"{"}token: "{token}"{"}"}{"}"}]
                contexts: [{"{"}name: limited, context: {"{"}cluster: test, user: {account}, namespace: default{"}"}{"}"}]
                current-context: limited
                """);
            using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig });
            using var project = new TestProject();

            var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentEngine", "kubernetes"), ("AgentNetwork", "bridge"), ("AgentKind", "custom"),
                ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;sed -i s/World/Forbidden/ Program.cs")));

            Assert.False(run.Succeeded, run.Log);
            var error = Assert.Single(run.Errors);
            Assert.Equal("AGS2008", error.Code);
            Assert.Contains("(namespace default)", error.Text);
            Assert.Contains("grant it a Role there", error.Text);
            Assert.DoesNotContain("   at ", error.Text);
            Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
            Assert.Equal("", TestKubernetes.Leftovers());
        }
        finally
        {
            TestKubernetes.Kubectl("delete", "serviceaccount", account);
            File.Delete(kubeconfig);
        }
    }

    [KubernetesFact]
    public async Task An_image_the_node_cannot_pull_is_AGS4026_within_seconds_and_the_pod_is_deleted()
    {
        using var environment = TestKubernetes.Scope();
        using var engine = KubernetesEngine.Connect(TestKubernetes.Namespace, null);
        var name = $"agentsandbox-test-pull-{Guid.NewGuid():N}";
        var request = new ContainerRequest(name, "agentsandbox-test/never-built:missing", ["true"], new Dictionary<string, string>(), "/workspace", [], "bridge",
            new Dictionary<string, string> { ["org.agentsandbox.version"] = "test" }, new ContainerLimits(true, true, 64, true, 256L * 1024 * 1024))
        {
            Files = new ContainerFiles(EmptyWorkspace, "/workspace", new Project.HostUser(1000, 1000)),
        };
        var stopwatch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<AgentSandboxException>(() => engine.RunContainerAsync(request, _ => { }, _ => { }, CancellationToken.None, CancellationToken.None));

        Assert.Equal("AGS4026", error.Code);
        Assert.Contains("'agentsandbox-test/never-built:missing'", error.Message);
        Assert.Contains("AgentImageRegistry", error.Message);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"it took {stopwatch.Elapsed.TotalSeconds:0} s");
        Assert.Equal("", TestKubernetes.Leftovers());
    }

    /// <summary>
    /// A container the kubelet cannot start yet is tried again: the run's Secret taken away before the kubelet reads
    /// it gives CreateContainerConfigError, as a busy node's "failed to sync secret cache" does. Put back, the kubelet's
    /// next try starts the container and the run goes on; never put back, the run is AGS2007 once the grace is over.
    /// </summary>
    [KubernetesTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_container_the_kubelet_cannot_start_yet_is_waited_for_and_AGS2007_only_once_it_keeps_failing(bool putBack)
    {
        using var environment = TestKubernetes.Scope();
        using var engine = KubernetesEngine.Connect(TestKubernetes.Namespace, null);
        using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(TestKubernetes.Kubeconfig));
        var name = $"agentsandbox-test-start-{Guid.NewGuid():N}";
        var request = new ContainerRequest(name, TestDocker.BaseImage, ["sh", "-c", "echo \"greeting: $GREETING\""],
            new Dictionary<string, string> { ["GREETING"] = "hello from the Secret" }, "/workspace", [], "bridge",
            new Dictionary<string, string> { ["org.agentsandbox.version"] = "test" }, new ContainerLimits(true, true, 64, true, 256L * 1024 * 1024))
        {
            Files = new ContainerFiles(EmptyWorkspace, "/workspace", new Project.HostUser(1000, 1000)),
        };
        var secretName = PodSpecs.SecretName(request);
        using var done = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        var run = engine.RunContainerAsync(request, line => output.AppendLine(line), _ => { }, CancellationToken.None, done.Token);
        // Whether the kubelet was seen refusing the container (it may be quicker than the test and start it first).
        var takeAway = Task.Run(async () =>
        {
            k8s.Models.V1Secret? secret = null;
            while (secret is null && !run.IsCompleted)
            {
                try
                {
                    secret = await client.ReadNamespacedSecretAsync(secretName, TestKubernetes.Namespace, cancellationToken: done.Token);
                }
                catch (k8s.Autorest.HttpOperationException missing) when (missing.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    await Task.Delay(5, done.Token);
                }
            }
            if (secret is null)
            {
                return false;
            }
            await client.DeleteNamespacedSecretAsync(secretName, TestKubernetes.Namespace, cancellationToken: done.Token);
            while (!run.IsCompleted)
            {
                var pods = await client.ListNamespacedPodAsync(TestKubernetes.Namespace, fieldSelector: $"metadata.name={name}", cancellationToken: done.Token);
                if (pods.Items.SelectMany(pod => pod.Status?.ContainerStatuses ?? []).Any(status => status.State?.Waiting?.Reason == "CreateContainerConfigError"))
                {
                    if (putBack)
                    {
                        secret.Metadata.ResourceVersion = null;
                        secret.Metadata.Uid = null;
                        await client.CreateNamespacedSecretAsync(secret, TestKubernetes.Namespace, cancellationToken: done.Token);
                    }
                    return true;
                }
                await Task.Delay(100, done.Token);
            }
            return false;
        });
        try
        {
            Assert.True(await takeAway, "the kubelet started the container before the test took its Secret away, or the run ended first");
        }
        catch
        {
            await Task.WhenAny(run);
            throw;
        }

        if (putBack)
        {
            var exit = await run;
            Assert.True(exit.Code == 0, output.ToString());
            Assert.Contains("greeting: hello from the Secret", output.ToString());
        }
        else
        {
            var error = await Assert.ThrowsAsync<AgentSandboxException>(() => run);
            Assert.True(error.Code == "AGS2007", error.Code + ": " + error.Message);
            Assert.Contains("CreateContainerConfigError", error.Message);
            Assert.Contains($"for {Diagnostics.ContainerStartGrace.TotalSeconds:0} s", error.Message);
            Assert.True(stopwatch.Elapsed > Diagnostics.ContainerStartGrace, $"it took {stopwatch.Elapsed.TotalSeconds:0} s");
        }
        Assert.Equal("", TestKubernetes.Leftovers());
    }

    private static Stream EmptyWorkspace()
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "workspace/"));
        }
        tar.Position = 0;
        return tar;
    }

    /// <summary>The namespace's pods as the API server returns them, read every 300 ms while a run goes on.</summary>
    private sealed class PodWatcher : IDisposable
    {
        private readonly List<string> _snapshots = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _watching;

        public PodWatcher() => _watching = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var (exitCode, output) = TestKubernetes.Kubectl("get", "pods,networkpolicies,configmaps,events", "--output", "json");
                if (exitCode == 0)
                {
                    lock (_snapshots)
                    {
                        _snapshots.Add(output);
                    }
                }
                await Task.Delay(300).ConfigureAwait(false);
            }
        });

        public IReadOnlyList<JsonDocument> Stop()
        {
            _stop.Cancel();
            _watching.Wait();
            lock (_snapshots)
            {
                return _snapshots.Select(snapshot => JsonDocument.Parse(snapshot)).ToList();
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
