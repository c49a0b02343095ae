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
        using var engine = DockerEngine.Connect(null);
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
