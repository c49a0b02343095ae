using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Egress;
using AgentSandbox.Errors;
using AgentSandbox.Inputs;
using AgentSandbox.Pipeline;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentNetwork=allowlist as the inputs make it: what the proxy lets through, and what the agent holds instead of its key.</summary>
public sealed class EgressSpecTests : IDisposable
{
    private const string Key = "sk-ant-api03-REAL-KEY-NEVER-IN-THE-SANDBOX";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private SandboxInputs Allowlist(string? agentKind = null) => Specs.Run(_temp.Path) with { Network = null, AgentKind = agentKind };

    private static Func<string, string?> Host(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(variable => variable.Name == name).Value;

    [Fact]
    public void Behind_the_allowlist_NuGet_checks_certificate_revocation_offline_unless_the_build_s_variables_say_otherwise()
    {
        var allowlist = Specs.RunSpec(Allowlist(), Host(("ANTHROPIC_API_KEY", Key)));
        var online = Specs.RunSpec(Allowlist() with { BuildEnvironmentVariables = "NUGET_CERT_REVOCATION_MODE" }, Host(("ANTHROPIC_API_KEY", Key), ("NUGET_CERT_REVOCATION_MODE", "online")));
        var bridge = Specs.RunSpec(Allowlist() with { Network = "bridge" }, Host(("ANTHROPIC_API_KEY", Key)));

        Assert.Equal("offline", allowlist.Environment.Variables["NUGET_CERT_REVOCATION_MODE"]);
        Assert.Equal("offline", allowlist.BuildEnvironment.Variables["NUGET_CERT_REVOCATION_MODE"]);
        Assert.Equal("online", online.BuildEnvironment.Variables["NUGET_CERT_REVOCATION_MODE"]);
        Assert.False(bridge.BuildEnvironment.Variables.ContainsKey("NUGET_CERT_REVOCATION_MODE"));
    }

    [Fact]
    public void The_agent_gets_the_runs_token_and_the_proxys_address_and_the_proxy_gets_the_key()
    {
        var spec = Specs.RunSpec(Allowlist(), Host(("ANTHROPIC_API_KEY", Key), ("HTTPS_PROXY", "http://user:corp-pass@proxy.corp:3128")));

        var egress = Assert.IsType<EgressPolicy>(spec.Egress);
        var variables = spec.Environment.Variables;
        Assert.Equal(egress.Token, variables["ANTHROPIC_API_KEY"]);
        Assert.StartsWith("agentsandbox-", egress.Token);
        Assert.Equal("http://agentsandbox-egress:3129", variables["ANTHROPIC_BASE_URL"]);
        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy" })
        {
            Assert.Equal("http://agentsandbox-egress:3128", variables[name]);
        }
        Assert.Equal("agentsandbox-egress,localhost,127.0.0.1", variables["no_proxy"]);
        Assert.DoesNotContain(variables.Values, value => value.Contains(Key, StringComparison.Ordinal) || value.Contains("corp-pass", StringComparison.Ordinal));
        Assert.DoesNotContain(spec.BuildEnvironment.Variables.Values, value => value.Contains("corp-pass", StringComparison.Ordinal));

        var route = Assert.Single(egress.Configuration(withCredentials: true).Routes);
        Assert.Equal(("https://api.anthropic.com", 3129), (route.Upstream, route.Port));
        Assert.Equal(new RouteCredential("x-api-key", "{value}", egress.Token, Key), Assert.Single(route.Credentials));
        Assert.Equal("http://user:corp-pass@proxy.corp:3128", egress.Configuration(withCredentials: false).HttpsProxy);
        Assert.Empty(egress.Configuration(withCredentials: false).Routes);
        Assert.Equal("*** and ***", spec.Redact($"{Key} and http://user:corp-pass@proxy.corp:3128"));
    }

    [Fact]
    public void A_gateway_base_url_is_the_proxys_upstream_with_its_path_kept_for_the_agent()
    {
        var spec = Specs.RunSpec(Allowlist("codex"), Host(("OPENAI_API_KEY", Key), ("OPENAI_BASE_URL", "https://gateway.corp:8443/openai/v1")));

        var api = Assert.Single(spec.Egress!.Apis);
        Assert.Equal(("https://gateway.corp:8443", "/openai/v1"), (api.Upstream, api.BasePath));
        Assert.Equal("Authorization", Assert.Single(api.Credentials).Header);
        // Codex is told its base URL on the command line: the proxy's.
        Assert.Contains(spec.Command, argument => argument.Contains("base_url=\"http://agentsandbox-egress:3129/openai/v1\"", StringComparison.Ordinal));
        Assert.Equal(spec.Egress.Token, spec.Environment.Variables["OPENAI_API_KEY"]);
    }

    [Fact]
    public void Only_the_credential_the_agent_uses_is_proxied_and_the_others_stay_out_of_the_sandbox()
    {
        var spec = Specs.RunSpec(Allowlist(), Host(("ANTHROPIC_API_KEY", Key), ("CLAUDE_CODE_OAUTH_TOKEN", "oauth-secret-value")));

        Assert.False(spec.Environment.Variables.ContainsKey("CLAUDE_CODE_OAUTH_TOKEN"));
        Assert.Equal("x-api-key", Assert.Single(Assert.Single(spec.Egress!.Apis).Credentials).Header);
    }

    [Fact]
    public void The_allowlist_holds_AgentAllowedHost_items_and_the_projects_feeds()
    {
        File.WriteAllText(Path.Combine(_temp.Path, "nuget.config"), """
            <configuration><packageSources>
              <add key="corp" value="https://pkgs.corp.example/nuget/v3/index.json" />
              <add key="local" value="../feed" />
            </packageSources></configuration>
            """);

        var spec = Specs.RunSpec(Allowlist() with { AllowedHosts = ["API.GitHub.com", "*.blob.core.windows.net", "feeds.example:8443"] });

        Assert.Equal(["api.github.com", "*.blob.core.windows.net", "feeds.example:8443", "api.nuget.org", "pkgs.corp.example"], spec.Egress!.AllowedHosts);
    }

    [Theory]
    [InlineData("https://api.example.com")]
    [InlineData("api.example.com/path")]
    [InlineData("*")]
    [InlineData("exa mple.com")]
    [InlineData("example.com:0")]
    [InlineData("example.com:99999")]
    public void An_AgentAllowedHost_that_is_no_host_is_AGS1005(string entry)
    {
        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(Allowlist() with { AllowedHosts = [entry] }));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentAllowedHost", error.Message);
    }

    [Theory]
    [InlineData("host")]
    [InlineData("none")]
    [InlineData("allowlist")]
    public void The_proxy_cannot_reach_out_through_host_or_none(string network)
    {
        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(Allowlist() with { EgressNetwork = network }));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentEgressNetwork", error.Message);
    }

    [Fact]
    public void An_AgentCredential_gives_a_custom_agent_the_token_and_its_base_url_variable_the_proxys_address()
    {
        var inputs = Specs.Run(_temp.Path) with
        {
            Network = null, AgentKind = "custom", AgentCommand = "my-agent",
            Credentials = [new CredentialInput("MY_KEY", "api.example.com/v2", null, null, "MY_BASE")],
        };

        var spec = Specs.RunSpec(inputs, Host(("MY_KEY", Key)));

        var api = Assert.Single(spec.Egress!.Apis);
        Assert.Equal(("https://api.example.com", "/v2"), (api.Upstream, api.BasePath));
        Assert.Equal(new ProxiedCredentialShape("Authorization", "Bearer {value}"), new ProxiedCredentialShape(api.Credentials[0].Header, api.Credentials[0].Format));
        Assert.Equal(spec.Egress.Token, spec.Environment.Variables["MY_KEY"]);
        Assert.Equal("http://agentsandbox-egress:3129/v2", spec.Environment.Variables["MY_BASE"]);
    }

    private sealed record ProxiedCredentialShape(string Header, string Format);

    [Theory]
    [InlineData("", "Authorization", "Bearer {value}")]
    [InlineData("api.example.com", "x-key", "no placeholder")]
    public void A_malformed_AgentCredential_is_AGS1005(string host, string header, string format)
    {
        var inputs = Specs.Run(_temp.Path) with
        {
            Network = null, AgentKind = "custom", AgentCommand = "my-agent", Credentials = [new CredentialInput("MY_KEY", host, header, format, null)],
        };

        Assert.Equal("AGS1005", Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(inputs, Host(("MY_KEY", Key)))).Code);
    }

    [Fact]
    public void An_AgentCredential_not_set_on_the_host_is_AGS1101_and_left_out()
    {
        var inputs = Specs.Run(_temp.Path) with
        {
            Network = null, AgentKind = "custom", AgentCommand = "my-agent", Credentials = [new CredentialInput("MY_KEY", "api.example.com", null, null, null)],
        };

        var (spec, warnings) = Specs.Create(inputs, Host());

        Assert.Equal("AGS1101", Assert.Single(warnings).Code);
        Assert.Empty(spec.Run!.Egress!.Apis);
    }

    [Fact]
    public void Only_the_agents_container_gets_the_credentials_and_each_container_has_a_network_of_its_own()
    {
        var spec = Specs.RunSpec(Allowlist(), Host(("ANTHROPIC_API_KEY", Key)));

        var agent = SandboxContainer.Create(spec, "agentsandbox:x-egress-y", "agent", spec.Command, spec.Environment, false, agentCredentials: true);
        var build = SandboxContainer.Create(spec, "agentsandbox:x-egress-y", "build", ["dotnet", "build"], spec.BuildEnvironment, true);

        Assert.Contains(Key, agent.Egress!.Configuration);
        Assert.DoesNotContain(Key, build.Egress!.Configuration);
        Assert.DoesNotContain(Key, agent.Egress.ToString());
        Assert.DoesNotContain(Key, agent.Egress.ConfigurationByName);
        Assert.Contains("$ANTHROPIC_API_KEY", agent.Egress.ConfigurationByName);
        Assert.Equal(agent.Name + "-net", agent.Network);
        Assert.NotEqual(agent.Network, build.Network);
        Assert.Equal("bridge", agent.Egress.OutsideNetwork);
    }

    [Fact]
    public void The_dry_run_shows_the_sockets_volume_the_proxy_and_its_configuration_with_secrets_by_name()
    {
        var spec = Specs.Create(Allowlist(), Host(("ANTHROPIC_API_KEY", Key))).Spec;

        var commands = AgentTargetPipeline.DryRun(spec, "/ctx");
        var text = string.Join("\n", commands);

        Assert.DoesNotContain(Key, text);
        Assert.Contains(commands, command => command.StartsWith("docker volume create --driver local --opt device=tmpfs --opt 'o=size=64k,mode=1777' --opt type=tmpfs --label", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.StartsWith("docker create --name agentsandbox-agentrun-agent-", StringComparison.Ordinal) && command.Contains("-egress --network bridge --user 65534:65534 --mount 'type=volume,source=agentsandbox-agentrun-agent-", StringComparison.Ordinal)
            && command.Contains("--read-only", StringComparison.Ordinal) && command.Contains("--interactive", StringComparison.Ordinal)
            && command.EndsWith("/opt/agentsandbox/agentsandbox-egress --sockets /run/agentsandbox-egress", StringComparison.Ordinal));
        Assert.DoesNotContain(commands, command => command.Contains("docker network", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.Contains("$ANTHROPIC_API_KEY", StringComparison.Ordinal) && command.StartsWith("docker start --attach --interactive", StringComparison.Ordinal));
        // The agent's container: on no network, the sockets read-only, its command behind the relay.
        Assert.Contains(commands, command => command.StartsWith("docker run --detach --user 65534:65534 --name agentsandbox-agentrun-agent-", StringComparison.Ordinal)
            && command.Contains(" --network none --workdir", StringComparison.Ordinal) && command.Contains("-egress,target=/run/agentsandbox-egress,readonly'", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.StartsWith("docker exec", StringComparison.Ordinal) && command.Contains("/opt/agentsandbox/agentsandbox-egress relay /run/agentsandbox-egress -- claude", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.StartsWith("docker volume rm agentsandbox-agentrun-agent-", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.Contains("agentsandbox:<hash>-egress-", StringComparison.Ordinal) && command.Contains("docker build -f -", StringComparison.Ordinal));
    }

    [Fact]
    public void Under_gVisor_the_dry_run_shows_the_isolated_network_its_proxy_is_reached_on()
    {
        var spec = Specs.Create(Allowlist() with { Runtime = "runsc" }, Host(("ANTHROPIC_API_KEY", Key))).Spec;

        var commands = AgentTargetPipeline.DryRun(spec, "/ctx");

        Assert.Contains(commands, command => command.StartsWith("docker network create --internal --opt com.docker.network.bridge.inhibit_ipv4=true", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.StartsWith("docker create --name agentsandbox-agentrun-agent-", StringComparison.Ordinal) && command.Contains("-egress --network bridge --user 65534:65534 --add-host", StringComparison.Ordinal)
            && command.EndsWith("/opt/agentsandbox/agentsandbox-egress", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.StartsWith("docker network connect --alias agentsandbox-egress", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.StartsWith("docker run --detach --user 65534:65534 --name agentsandbox-agentrun-agent-", StringComparison.Ordinal)
            && command.Contains("-net --workdir", StringComparison.Ordinal) && command.Contains("--runtime runsc", StringComparison.Ordinal));
        Assert.DoesNotContain(commands, command => command.Contains("relay", StringComparison.Ordinal) || command.Contains("docker volume", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.StartsWith("docker network rm", StringComparison.Ordinal));
    }

    [Fact]
    public void With_sockets_the_agents_container_has_no_network_names_its_loopback_and_runs_its_command_behind_the_relay()
    {
        var spec = Specs.RunSpec(Allowlist(), Host(("ANTHROPIC_API_KEY", Key)));
        var request = SandboxContainer.Create(spec, "agentsandbox:x-egress-y", "agent", spec.Command, spec.Environment, false, agentCredentials: true);

        var agent = EgressSockets.AgentSide(request, request.Egress!);
        var gateway = EngineModels.Container(DockerEngine.GatewayParameters(request, request.Egress!, sockets: true));
        var volume = EngineModels.Volume(EgressSockets.VolumeParameters(request));

        Assert.True(EgressSockets.Fit(request));
        Assert.False(EgressSockets.Fit(request with { Runtime = "runsc" }));
        Assert.Equal("none", agent.Network);
        Assert.Equal(["/opt/agentsandbox/agentsandbox-egress", "relay", "/run/agentsandbox-egress", "--", .. request.Command], agent.Command);
        Assert.Equal("http://127.0.0.1:3128", agent.Environment["HTTPS_PROXY"]);
        Assert.Equal("http://127.0.0.1:3129", agent.Environment["ANTHROPIC_BASE_URL"]);
        Assert.Equal(request.Environment["ANTHROPIC_API_KEY"], agent.Environment["ANTHROPIC_API_KEY"]);
        Assert.Equal("127.0.0.1,localhost", agent.Environment["NO_PROXY"]);
        Assert.DoesNotContain(agent.Environment.Values, value => value.Contains("agentsandbox-egress", StringComparison.Ordinal));
        // A value that only mentions the name, not as the proxy's host or a list's entry, stays as it is.
        var mentions = request with { Environment = new Dictionary<string, string> { ["CACHE"] = "/run/agentsandbox-egress/x", ["MIRROR"] = "http://agentsandbox-egress-mirror:80" } };
        Assert.Equal(mentions.Environment, EgressSockets.AgentSide(mentions, request.Egress!).Environment);
        Assert.Contains(new ContainerMount(request.GatewayName, "/run/agentsandbox-egress", ReadOnly: true) { Volume = true }, agent.Mounts);
        // The gateway: on the outside network only, as the volume's user, listening on its sockets.
        var mount = Assert.Single(gateway.HostConfig!.Mounts!);
        Assert.Equal("bridge", gateway.HostConfig.NetworkMode);
        Assert.Equal("65534:65534", gateway.User);
        Assert.Equal(["--sockets", "/run/agentsandbox-egress"], gateway.Cmd);
        Assert.Equal((request.GatewayName, "/run/agentsandbox-egress", false), (mount.Source, mount.Target, mount.ReadOnly));
        // The volume: in memory, that user's, with the run's labels for the orphan sweep.
        Assert.Equal(request.GatewayName, volume.Name);
        Assert.Equal("tmpfs", volume.DriverOpts["type"]);
        Assert.Equal("size=64k,mode=1777", volume.DriverOpts["o"]);
        Assert.Equal(request.Labels, volume.Labels);
    }

    [Fact]
    public void Refused_hosts_are_one_warning_each_with_the_line_that_allows_them()
    {
        var record = new EgressRecord();
        foreach (var line in new[]
        {
            """{"event":"refused","host":"evil.example","port":443}""",
            """{"event":"refused","host":"EVIL.example","port":443}""",
            """{"event":"refused","host":"feeds.example","port":8443}""",
            """{"event":"allowed","host":"api.nuget.org","port":443}""",
            """{"event":"unauthorized","host":"api.anthropic.com","port":3129}""",
            "not an event",
        })
        {
            record.Observe(line);
        }

        var warnings = record.Warnings("AgentRun for App");

        Assert.Equal(["AGS4105", "AGS4105", "AGS4106"], warnings.Select(warning => warning.Code));
        Assert.Contains("refused 2 connection(s) to evil.example", warnings[0].Message);
        Assert.Contains("<AgentAllowedHost Include=\"evil.example\" />", warnings[0].Message);
        Assert.Contains("<AgentAllowedHost Include=\"feeds.example:8443\" />", warnings[1].Message);
        Assert.Equal(["api.nuget.org:443"], record.Allowed);
    }

    [Fact]
    public void NuGet_feeds_follow_clear_add_and_remove_from_the_farthest_config_to_the_nearest()
    {
        var inner = Directory.CreateDirectory(Path.Combine(_temp.Path, "repo", "src")).FullName;
        File.WriteAllText(Path.Combine(_temp.Path, "NuGet.Config"), """
            <configuration><packageSources><add key="outer" value="https://outer.example/v3/index.json" /></packageSources></configuration>
            """);
        File.WriteAllText(Path.Combine(_temp.Path, "repo", "nuget.config"), """
            <configuration><packageSources><clear /><add key="corp" value="http://corp.example:8080/v3/index.json" /><add key="gone" value="https://gone.example/" /></packageSources></configuration>
            """);
        File.WriteAllText(Path.Combine(inner, "nuget.config"), """
            <configuration><packageSources><remove key="gone" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources></configuration>
            """);

        Assert.Equal(["corp.example:8080", "api.nuget.org"], NuGetConfigs.FeedHosts(inner));
    }
}
