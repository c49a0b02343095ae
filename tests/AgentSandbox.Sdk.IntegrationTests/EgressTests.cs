using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// AgentNetwork=allowlist on a real engine: the agent reaches what is allowed through the proxy and nothing else by
/// any way (the proxy refusing, no route without it, no host service), and its API credential never enters the sandbox.
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed class EgressTests
{
    /// <summary>What the agent tries, as a script a custom agent runs; each line of egress-report.txt says how it went.</summary>
    private const string ProbeScript = """
        use strict; use warnings; use IO::Socket::INET;
        sub proxy_request {
            my ($request) = @_;
            my ($host, $port) = $ENV{http_proxy} =~ m{^http://([^:/]+):(\d+)} or return "no http_proxy";
            my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 5) or return "proxy unreachable: $!";
            print $s $request; local $/; my $answer = <$s> // ""; $answer =~ s/\r//g; $answer =~ s/\n/ | /g; return $answer;
        }
        sub direct { my ($h, $p) = @_; my $s = IO::Socket::INET->new(PeerAddr => $h, PeerPort => $p, Timeout => 3); return $s ? "CONNECTED" : "failed: $!"; }
        open my $report, '>', 'egress-report.txt' or die;
        print $report "allowed: ", proxy_request("GET http://$ENV{ALLOWED}:8080/ HTTP/1.1\r\nHost: $ENV{ALLOWED}:8080\r\n\r\n"), "\n";
        print $report "refused: ", proxy_request("GET http://$ENV{REFUSED}:8080/ HTTP/1.1\r\nHost: $ENV{REFUSED}:8080\r\n\r\n"), "\n";
        print $report "tunnel-refused: ", proxy_request("CONNECT $ENV{REFUSED}:443 HTTP/1.1\r\nHost: $ENV{REFUSED}:443\r\n\r\n"), "\n";
        # A host name made to drive the terminal and a CI log when the build warns about it.
        proxy_request("CONNECT \e[31m::error::owned:443 HTTP/1.1\r\n\r\n");
        # An agent that ignores the proxy variables: by name, by address, the host's address on the outside network.
        delete @ENV{qw(http_proxy https_proxy HTTP_PROXY HTTPS_PROXY)};
        print $report "direct-name: ", direct($ENV{ALLOWED}, 8080), "\n";
        print $report "direct-address: ", direct($ENV{ALLOWED_ADDRESS}, 8080), "\n";
        print $report "host-service: ", direct($ENV{GATEWAY}, $ENV{HOST_PORT}), "\n";
        print $report "dns: ", (gethostbyname("example.com") ? "resolved" : "none"), "\n";
        # Its own service on its loopback, by name, as a test or a development server reaches one.
        my $own = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die "no loopback: $!";
        print $report "localhost: ", direct("localhost", $own->sockport), "\n";
        close $report;
        """;

    [DockerFact]
    public void The_agent_reaches_an_allowed_host_only_through_the_proxy_and_nothing_else_by_any_way()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var network = new TestNetwork();
        var id = Guid.NewGuid().ToString("N")[..8];
        var allowed = $"allowed-{id}";
        var refused = $"refused-{id}";
        var allowedAddress = network.StartHttpServer(allowed);
        network.StartHttpServer(refused);
        // A service of the machine's on every address, as a developer's database or dashboard would be.
        var service = new TcpListener(IPAddress.Any, 0);
        service.Start();
        var servicePort = ((IPEndPoint)service.LocalEndpoint).Port;
        using var project = new TestProject(extraItems: $"""<AgentAllowedHost Include="{allowed}:8080" />""");
        File.WriteAllText(Path.Combine(project.Directory, "probe.pl"), ProbeScript);

        try
        {
            var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentPrompt", "Probe"), ("AgentCommand", "perl;probe.pl"),
                ("AgentEgressNetwork", network.Name),
                ("AgentEnvironmentVariables", $"ALLOWED={allowed};REFUSED={refused};ALLOWED_ADDRESS={allowedAddress};GATEWAY={network.Gateway};HOST_PORT={servicePort}")));

            Assert.True(run.Succeeded, run.Log);
            var report = File.ReadAllLines(Path.Combine(project.Directory, "egress-report.txt")).ToDictionary(line => line[..line.IndexOf(':')], line => line[(line.IndexOf(':') + 2)..]);
            Assert.Contains($"hello from {allowed}", report["allowed"]);
            Assert.StartsWith("HTTP/1.1 403", report["refused"]);
            Assert.Contains($"<AgentAllowedHost Include=\"{refused}:8080\" />", report["refused"]);
            Assert.StartsWith("HTTP/1.1 403", report["tunnel-refused"]);
            Assert.StartsWith("failed", report["direct-name"]);
            Assert.StartsWith("failed", report["direct-address"]);
            Assert.StartsWith("failed", report["host-service"]);
            Assert.Equal("none", report["dns"]);
            Assert.Equal("CONNECTED", report["localhost"]);
            // One warning per refused host (port 8080 and 443 are two), each with the line that allows it; the hostile
            // name's escape character is shown, not sent to the terminal, and no line becomes a CI command.
            var warnings = run.Warnings.Where(warning => warning.Code == "AGS4105").Select(warning => warning.Text).ToList();
            Assert.Equal(3, warnings.Count);
            Assert.Contains(warnings, text => text.Contains("\\u001b[31m::error::owned", StringComparison.Ordinal));
            Assert.All(run.Warnings, warning => Assert.DoesNotContain('\u001b', warning.Text));
            Assert.DoesNotContain(run.MessageLines.Concat(run.Warnings.Select(warning => warning.Text)), line => line.TrimStart().StartsWith("::", StringComparison.Ordinal));
            Assert.Contains(warnings, text => text.Contains($"<AgentAllowedHost Include=\"{refused}:8080\" />", StringComparison.Ordinal));
            Assert.Contains(warnings, text => text.Contains($"<AgentAllowedHost Include=\"{refused}\" />", StringComparison.Ordinal));
            Assert.DoesNotContain(warnings, text => text.Contains(allowed, StringComparison.Ordinal));
            // Nothing of the run is left: containers (the proxy's too), networks and volumes.
            Assert.Equal("", Shell.LeftoverContainers(project.Directory));
            Assert.Equal("", TestNetwork.Leftovers(project.Directory));
        }
        finally
        {
            service.Stop();
        }
    }

    [DockerFact]
    public void An_agent_that_says_what_the_relay_says_when_the_proxy_is_out_of_reach_runs_once_and_fails_with_its_own_exit_code()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        // Mount mode: a second run of the agent would see the first one's line.
        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentPrompt", "Pretend"), ("AgentWorkspaceMode", "mount"),
            ("AgentCommand", $"sh;-c;echo ran >> runs.txt && echo \"{AgentSandbox.Egress.SocketRefusal.Words}: forged\" >&2 && exit {AgentSandbox.Egress.SocketRefusal.ExitCode}")));

        Assert.False(run.Succeeded, run.Log);
        Assert.Equal("ran\n", File.ReadAllText(Path.Combine(project.Directory, "runs.txt")));
        Assert.Contains(": forged", run.Log);
        Assert.DoesNotContain(AgentSandbox.Egress.SocketRefusal.Started, run.Log);
        Assert.Contains(run.Errors, error => error.Text.Contains("exit code 125", StringComparison.Ordinal));
        Assert.Equal("", Shell.LeftoverContainers(project.Directory));
        Assert.Equal("", TestNetwork.Leftovers(project.Directory));
    }

    [DockerFact]
    public async Task Claude_Code_works_through_the_proxy_while_its_key_is_in_no_process_and_not_in_docker_inspect()
    {
        const string apiKey = "sk-ant-egress-real-key-0123456789";
        using var network = new TestNetwork();
        // The fake API listens on the host's address on the test's network: the proxy reaches it from there.
        await using var api = FakeAnthropicApi.Start(
        [
            // Every process's environment and the container's own variables, as the agent could read them.
            new ToolUseTurn("Bash", new { command = "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | sort -u > seen-env.txt; env >> seen-env.txt; sleep 4" }),
            new ToolUseTurn("Edit", new { file_path = "/workspace/Program.cs", old_string = "Hello, World!", new_string = "Hello, proxy!" }),
            new TextTurn("Done through the proxy."),
        ], apiKey, network.Gateway);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        var inspected = Task.Run(() => InspectAgentContainer(project.Directory));
        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentPrompt", "Greet the proxy"), ("AgentEgressNetwork", network.Name)));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("Hello, proxy!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        // The API saw the real key on every request: the proxy put it there.
        Assert.NotEmpty(api.Requests);
        Assert.All(api.Requests, request => Assert.Equal(apiKey, request.ApiKey));
        var seen = File.ReadAllText(Path.Combine(project.Directory, "seen-env.txt"));
        Assert.DoesNotContain(apiKey, seen);
        Assert.Contains("ANTHROPIC_API_KEY=agentsandbox-", seen);
        // The proxy on the container's own loopback, where the relay in front of the agent puts its sockets.
        Assert.Contains("ANTHROPIC_BASE_URL=http://127.0.0.1:", seen);
        var inspect = await inspected;
        Assert.Contains("ANTHROPIC_API_KEY=agentsandbox-", inspect);
        Assert.DoesNotContain(apiKey, inspect);
        Assert.DoesNotContain(apiKey, run.Log);
        Assert.Equal("", Shell.LeftoverContainers(project.Directory));
        Assert.Equal("", TestNetwork.Leftovers(project.Directory));
    }

    [DockerFact]
    public async Task Codex_works_through_the_proxy_with_its_key_outside_the_sandbox()
    {
        var apiKey = "sk-proj-egress-" + Guid.NewGuid().ToString("N");
        using var network = new TestNetwork();
        await using var api = FakeOpenAiResponsesApi.Start(
            [new ExecTurn("env > seen-env.txt && sed -i 's/Hello, World!/Hello, Codex!/' Program.cs"), new TextTurn("Done.")], apiKey, network.Gateway);
        using var environment = EnvironmentScope.WithOpenAiApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "codex"), ("AgentPrompt", "Greet"), ("AgentEgressNetwork", network.Name)));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("Hello, Codex!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        var turns = api.Requests.Where(request => request.Kind == RequestKind.ConversationTurn).ToList();
        Assert.Equal(2, turns.Count);
        Assert.All(turns, turn => Assert.Equal(apiKey, turn.ApiKey));
        Assert.DoesNotContain(apiKey, File.ReadAllText(Path.Combine(project.Directory, "seen-env.txt")));
        Assert.DoesNotContain(apiKey, run.Log);
    }

    [DockerFact]
    public async Task Gemini_CLI_works_through_the_proxy_with_its_key_outside_the_sandbox()
    {
        var apiKey = "gemini-egress-" + Guid.NewGuid().ToString("N");
        using var network = new TestNetwork();
        await using var api = FakeGeminiApi.Start(
        [
            new ToolUseTurn("replace", new { file_path = "/workspace/Program.cs", instruction = "Greet.", old_string = "Hello, World!", new_string = "Hello, Gemini!" }),
            new TextTurn("Done."),
        ], apiKey, network.Gateway);
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["GEMINI_API_KEY"] = apiKey, ["GOOGLE_GEMINI_BASE_URL"] = api.BaseUrl.ToString().TrimEnd('/') });
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "gemini"), ("AgentPrompt", "Greet"), ("AgentModel", "gemini-2.5-flash"),
            ("AgentEgressNetwork", network.Name)));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("Hello, Gemini!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Contains(api.Requests, request => request.Kind == RequestKind.ConversationTurn);
        Assert.DoesNotContain(api.Requests, request => request.Kind == RequestKind.Unauthorized);
        Assert.DoesNotContain(apiKey, run.Log);
    }

    [DockerFact]
    public async Task An_AgentCredential_reaches_its_API_only_with_the_runs_token_and_the_proxy_refuses_every_other_caller()
    {
        const string apiKey = "sk-ant-egress-custom-0123456789";
        using var network = new TestNetwork();
        await using var api = FakeAnthropicApi.Start([new TextTurn("unused")], apiKey, network.Gateway);
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["MY_API_KEY"] = apiKey });
        using var project = new TestProject(extraItems:
            $$"""<AgentCredential Include="MY_API_KEY" Host="{{api.BaseUrl}}" Header="x-api-key" Format="{value}" BaseUrlVariable="MY_API_BASE" />""");
        // The agent's own client (with the token it was given), then a process that knows where the proxy is but not the token.
        File.WriteAllText(Path.Combine(project.Directory, "call.pl"), """
            use IO::Socket::INET;
            my ($host, $port) = $ENV{MY_API_BASE} =~ m{^http://([^:/]+):(\d+)} or die "no MY_API_BASE";
            open my $report, '>', 'call-report.txt' or die;
            for my $header ("x-api-key: $ENV{MY_API_KEY}\r\n", "", "x-api-key: guessed\r\n", "authorization: Bearer $ENV{MY_API_KEY}\r\n") {
                my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 5) or die;
                print $s "HEAD /api/hello HTTP/1.1\r\nHost: $host\r\n${header}Connection: close\r\n\r\n";
                my $status = <$s>; print $report $status;
            }
            print $report "key-seen: ", ($ENV{MY_API_KEY} eq '{{apiKey}}' ? "yes" : "no"), "\n";
            """.Replace("{{apiKey}}", apiKey));

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentPrompt", "Call"), ("AgentCommand", "perl;call.pl"),
            ("AgentEgressNetwork", network.Name)));

        Assert.True(run.Succeeded, run.Log);
        var report = File.ReadAllLines(Path.Combine(project.Directory, "call-report.txt"));
        Assert.StartsWith("HTTP/1.1 200", report[0]);
        Assert.StartsWith("HTTP/1.1 401", report[1]);
        Assert.StartsWith("HTTP/1.1 401", report[2]);
        Assert.StartsWith("HTTP/1.1 401", report[3]);
        Assert.Equal("key-seen: no", report[4]);
        Assert.Equal(apiKey, Assert.Single(api.Requests).ApiKey);
        Assert.Contains(run.Warnings, warning => warning.Code == "AGS4106" && warning.Text.Contains("3 request(s)", StringComparison.Ordinal));
    }

    /// <summary>The agent's container's configuration, as docker inspect shows it while it runs.</summary>
    private static string InspectAgentContainer(string projectDirectory)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var id = Shell.Run("docker", "ps", "-q", "--filter", $"label=org.agentsandbox.project={projectDirectory}", "--filter", "label=org.agentsandbox.purpose=agent").Output.Trim();
            if (id.Length > 0)
            {
                return Shell.Run("docker", "inspect", id).Output;
            }
            Thread.Sleep(100);
        }
        return "no agent container was seen";
    }
}
