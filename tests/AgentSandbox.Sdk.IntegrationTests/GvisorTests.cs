using AgentSandbox.Docker;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>A Docker test that also needs gVisor's runsc registered with the engine (.ci/run registers it).</summary>
public sealed class GvisorFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Probe = new(() =>
    {
        if (TestDocker.Unavailable is { } reason)
        {
            return reason;
        }
        var engine = DockerEngine.Connect(null);
        return engine.RuntimesAsync(CancellationToken.None).GetAwaiter().GetResult().Contains("runsc")
            ? null
            : "gVisor's runsc is not registered with the engine (see .ci/run)";
    });

    public GvisorFactAttribute() => Skip = TestDocker.SkipReason(Probe.Value);
}

/// <summary>AgentRuntime=runsc: the agent under gVisor's kernel, not the machine's.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class GvisorTests
{
    [GvisorFact]
    public void The_agent_runs_under_gVisors_kernel()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentRuntime", "runsc"), ("AgentKind", "custom"), ("AgentNetwork", "none"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;dmesg | head -n 3 && sed -i s/World/gVisor/ Program.cs")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, message => message.Text.Contains("Starting gVisor", StringComparison.Ordinal));
        Assert.Contains("Hello, gVisor!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
    }

    [GvisorFact]
    public async Task Claude_Code_edits_the_project_under_gVisor()
    {
        const string apiKey = "sk-ant-e2e-gvisor";
        // The defaults around it: the allowlist, its proxy reaching the API on a network of the test's own.
        using var network = new TestNetwork();
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Edit", new { file_path = "/workspace/Program.cs", old_string = "Hello, World!", new_string = "Hello, gVisor!" }),
            new TextTurn("Done under gVisor."),
        ], apiKey, network.Gateway);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentRuntime", "runsc"), ("AgentRuntimeFallback", "false"),
            ("AgentEgressNetwork", network.Name), ("AgentPrompt", "Greet gVisor")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("Hello, gVisor!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.DoesNotContain(run.Warnings, warning => warning.Code == "AGS4104");
        Assert.All(api.Requests, request => Assert.Equal(apiKey, request.ApiKey));
    }

    [DockerFact]
    public void A_runtime_the_engine_does_not_have_is_AGS4018_without_fallback()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentRuntime", "no-such-runtime"), ("AgentRuntimeFallback", "false"),
            ("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"), ("AgentCommand", "true")));

        Assert.Equal("AGS4018", Assert.Single(run.Errors).Code);
        Assert.Contains("runc", run.Errors[0].Text);
    }
}

/// <summary>A second engine whose default runtime is gVisor's, as a team that sandboxes every container sets it up.</summary>
public sealed class GvisorByDefaultEngine() : SecondEngine("""
    {"runtimes":{"runsc":{"path":"/usr/bin/runsc","runtimeArgs":["--platform=ptrace","--network=host"]}},"default-runtime":"runsc"}
    """);

/// <summary>The allowlist on an engine whose every container has a kernel of its own, which keeps them from each other's sockets.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class GvisorByDefaultTests(GvisorByDefaultEngine engine) : IClassFixture<GvisorByDefaultEngine>
{
    [GvisorFact]
    public void The_allowlist_reaches_its_proxy_on_a_network_before_the_agent_runs_when_the_engines_default_runtime_refuses_sockets()
    {
        Assert.True(engine.Unavailable is null, engine.Unavailable);
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        var properties = SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentPrompt", "Do it"),
            ("AgentCommand", "sh;-c;echo proxy $HTTPS_PROXY && dmesg | head -n 1 && echo ran >> runs.txt"));
        // The images, built by the first engine and copied over: what is tested is the run, not a build under gVisor.
        var built = project.Build("AgentRun", properties);
        Assert.True(built.Succeeded, built.Log);
        Assert.Contains(built.Messages, message => message.Text == "custom: proxy http://127.0.0.1:3128");
        using (var result = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json"))))
        {
            var image = result.RootElement.GetProperty("image").GetString()!;
            var copied = Shell.Run("sh", "-c", $"docker save {image} {image[..image.IndexOf("-egress-", StringComparison.Ordinal)]} | DOCKER_HOST={engine.Endpoint} docker load -q");
            Assert.True(copied.ExitCode == 0, copied.Output);
        }
        File.Delete(Path.Combine(project.Directory, "runs.txt"));

        var run = project.Build("AgentRun", new Dictionary<string, string>(properties) { ["AgentDockerHost"] = engine.Endpoint, ["AgentForce"] = "true" });

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, message => message.Text == "custom: proxy http://agentsandbox-egress:3128");
        Assert.Contains(run.Messages, message => message.Text.Contains("Starting gVisor", StringComparison.Ordinal));
        Assert.Equal("ran\n", File.ReadAllText(Path.Combine(project.Directory, "runs.txt")));
        Assert.DoesNotContain(AgentSandbox.Egress.SocketRefusal.Words, run.Log);
        Assert.Equal("", string.Join(" ", new[] { "ps -a", "volume ls", "network ls" }.Select(list => engine.Docker([.. list.Split(' '), "-q", "--filter", "label=org.agentsandbox.run"]).Output.Trim())).Trim());
    }
}
