using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>Each mistake a user can make in the inputs fails AgentRun with its code, before any image is built.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class InputErrorTests
{
    private static void AssertFailsBeforeAnyImage(TestProject project, BuildRun run, string code)
    {
        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal(code, error.Code);
        Assert.Equal(project.ProjectPath, error.File); // the IDE's error list points at the project
        Assert.DoesNotContain("   at ", error.Text); // no stack trace
        Assert.False(Directory.Exists(Path.Combine(project.SandboxDirectory, "context")), "the sandbox must not be generated before the inputs are valid");
        // Nothing started, nothing of the user's touched.
        Assert.Equal("", Shell.LeftoverContainers(project.Directory));
        Assert.Equal("", TestNetwork.Leftovers(project.Directory));
        Assert.Equal("Console.WriteLine(\"Hello, World!\");\n", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
    }

    [Fact]
    public void NoPromptIsAGS1001()
    {
        using var environment = EnvironmentScope.WithApiKey();
        using var project = new TestProject();
        var run = project.Build("AgentRun");
        AssertFailsBeforeAnyImage(project, run, "AGS1001");
        Assert.Contains("AgentPrompt", run.Errors[0].Text);
    }

    [Fact]
    public void MissingPromptFileIsAGS1002()
    {
        using var environment = EnvironmentScope.WithApiKey();
        using var project = new TestProject();
        var run = project.Build("AgentRun", new Dictionary<string, string> { ["AgentPromptFile"] = "prompts/missing.md" });
        AssertFailsBeforeAnyImage(project, run, "AGS1002");
        Assert.Contains(Path.Combine(project.Directory, "prompts", "missing.md"), run.Errors[0].Text);
    }

    [Fact]
    public void PromptAndPromptFileTogetherIsAGS1003()
    {
        using var environment = EnvironmentScope.WithApiKey();
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "prompt.md"), "Do it");
        var run = project.Build("AgentRun", new Dictionary<string, string> { ["AgentPrompt"] = "Do it", ["AgentPromptFile"] = "prompt.md" });
        AssertFailsBeforeAnyImage(project, run, "AGS1003");
    }

    [Theory]
    [InlineData("AgentKind", "copilot")]
    [InlineData("AgentBuildNetwork", "overlay")]
    [InlineData("AgentWorkspaceMode", "live")]
    [InlineData("AgentVerify", "always")]
    [InlineData("AgentReviewFailOn", "sometimes")]
    public void UnknownEnumeratedValueIsAGS1004(string property, string value)
    {
        using var environment = EnvironmentScope.WithApiKey();
        using var project = new TestProject();
        var run = project.Build(property == "AgentBuildNetwork" ? "AgentSandboxImage" : "AgentRun",
            new Dictionary<string, string> { ["AgentPrompt"] = "Do it", [property] = value, ["AgentDockerHost"] = "unix:///nonexistent/agentsandbox.sock" });
        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS1004", error.Code);
        Assert.Contains(property, error.Text);
        Assert.Contains($"'{value}'", error.Text);
    }

    [Theory]
    [InlineData("AgentMaxTurns", "many")]
    [InlineData("AgentNetwork", "no network!")]
    [InlineData("AgentUser", "agent")]
    [InlineData("AgentWorkspace", "..")]
    [InlineData("AgentWorkspace", "/")]
    [InlineData("AgentWorkspace", "/root")]
    [InlineData("AgentAllowedHost", "https://api.example.com/")]
    [InlineData("AgentEgressNetwork", "host")]
    [InlineData("AgentTmpSize", "lots")]
    [InlineData("AgentTimeout", "soon")]
    [InlineData("AgentTimeout", "-5m")]
    [InlineData("AgentTimeout", "0s")]
    [InlineData("AgentMemoryLimit", "1k")]
    [InlineData("AgentMemoryLimit", "plenty")]
    [InlineData("AgentCpuLimit", "-1")]
    [InlineData("AgentMaxBudgetUsd", "free")]
    [InlineData("AgentMaxIterations", "0")]
    [InlineData("AgentMaxTurns", "-3")]
    [InlineData("AgentCheckpointsToKeep", "none")]
    [InlineData("AgentRuntime", "run sc")]
    [InlineData("AgentReadOnlyRootFilesystem", "sometimes")]
    [InlineData("AgentAllowProtectedChanges", "yes please")]
    [InlineData("AgentUser", "1000:x")]
    [InlineData("AgentWorkspaceRoot", "/nonexistent/agentsandbox")]
    [InlineData("AgentEgressNetwork", "none")]
    [InlineData("AgentNetwork", "$(whoami)")]
    [InlineData("AgentBaseImage", "Not A Valid Image!")]
    [InlineData("AgentBaseImage", "debian:bad tag")]
    [InlineData("AgentVersion", "latest?!")]
    public void InvalidValueIsAGS1005(string property, string value)
    {
        using var environment = EnvironmentScope.WithApiKey();
        using var project = new TestProject();
        if (property == "AgentAllowedHost")
        {
            // An item: given in the project.
            File.WriteAllText(project.ProjectPath, File.ReadAllText(project.ProjectPath).Replace("</Project>", $"<ItemGroup><AgentAllowedHost Include=\"{value}\" /></ItemGroup></Project>"));
        }
        var run = project.Build("AgentRun", new Dictionary<string, string> { ["AgentPrompt"] = "Do it", [property] = value });
        AssertFailsBeforeAnyImage(project, run, "AGS1005");
        Assert.Contains(property, run.Errors[0].Text);
    }

    [Fact]
    public void NoCredentialIsAGS1006BeforeAnythingIsBuilt()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9" });
        using var project = new TestProject();
        var run = project.Build("AgentRun", new Dictionary<string, string> { ["AgentPrompt"] = "Do it" });
        AssertFailsBeforeAnyImage(project, run, "AGS1006");
        Assert.Contains("ANTHROPIC_API_KEY", run.Errors[0].Text);
    }

    [Fact]
    public void ScopeThatMatchesNoFileIsAGS1011()
    {
        using var environment = EnvironmentScope.WithApiKey();
        using var project = new TestProject();
        var run = project.Build("AgentTest", new Dictionary<string, string> { ["AgentTestScope"] = "Program.cs;src/Parsing/*.cs" });
        AssertFailsBeforeAnyImage(project, run, "AGS1011");
        Assert.Contains("'src/Parsing/*.cs'", run.Errors[0].Text);
    }

    [Fact]
    public void LoopbackGatewayOffTheHostNetworkIsAGS1010()
    {
        // Before this check the CLI retried 127.0.0.1 inside the container for three minutes and then gave up.
        using var environment = EnvironmentScope.WithApi("sk-ant-test", new Uri("http://127.0.0.1:9/"));
        using var project = new TestProject();
        var run = project.Build("AgentRun", new Dictionary<string, string> { ["AgentPrompt"] = "Do it" });
        AssertFailsBeforeAnyImage(project, run, "AGS1010");
        Assert.Contains("ANTHROPIC_BASE_URL", run.Errors[0].Text);
    }

    [Fact]
    public void CredentialNamedInAgentEnvironmentVariablesCounts()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["MY_GATEWAY_TOKEN"] = "tok" });
        using var project = new TestProject();
        // No engine there: the inputs pass (no AGS1006), and the run then stops at the engine, warned once.
        var run = project.Build("AgentRun", new Dictionary<string, string>
        {
            ["AgentPrompt"] = "Do it",
            ["AgentEnvironmentVariables"] = "ANTHROPIC_AUTH_TOKEN=from-project;MY_GATEWAY_TOKEN;NOT_SET_ANYWHERE",
            ["AgentDockerHost"] = "unix:///nonexistent/agentsandbox-tests.sock",
        });
        Assert.Equal("AGS2001", Assert.Single(run.Errors).Code);
        var warning = Assert.Single(run.Warnings, w => w.Code == "AGS1101");
        Assert.Contains("NOT_SET_ANYWHERE", warning.Text);
    }

    [Fact]
    public void UnwritableSandboxDirectoryIsAGS9001WithoutAStackTrace()
    {
        using var project = new TestProject();
        // A file where a directory has to go: no user may create it, root included.
        var run = project.Build("AgentSandboxDockerfile", new Dictionary<string, string> { ["AgentSandboxContextDirectory"] = Path.Combine(project.Directory, "Program.cs", "context") });
        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS9001", error.Code);
        Assert.Equal(project.ProjectPath, error.File);
        Assert.DoesNotContain("   at ", error.Text);
    }

    [Fact]
    public void MissingCaCertificateIsAGS1007()
    {
        using var environment = EnvironmentScope.WithApiKey();
        using var project = new TestProject();
        var run = project.Build("AgentSandboxDockerfile", new Dictionary<string, string> { ["AgentCaCertificates"] = "certs/corporate.pem" });
        Assert.False(run.Succeeded, run.Log);
        Assert.Equal("AGS1007", Assert.Single(run.Errors).Code);
        Assert.Contains(Path.Combine(project.Directory, "certs", "corporate.pem"), run.Errors[0].Text);
    }

    [Fact]
    public void AgentDryRun_prints_the_dockerfile_and_the_docker_commands_and_runs_nothing()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["ANTHROPIC_API_KEY"] = "sk-ant-dry-run-secret" });
        using var project = new TestProject();

        // No engine is even asked: a host where none listens is fine.
        var run = project.Build("AgentRun", new Dictionary<string, string>
        {
            ["AgentDryRun"] = "true", ["AgentPrompt"] = "Do it", ["AgentDockerHost"] = "tcp://127.0.0.1:9",
        });

        Assert.True(run.Succeeded, run.Log);
        var dockerfile = Path.Combine(project.SandboxDirectory, "context", "Dockerfile");
        Assert.True(File.Exists(dockerfile));
        Assert.Contains(run.Messages, message => message.Text.Contains(dockerfile, StringComparison.Ordinal));
        var plan = Assert.Single(run.Messages, message => message.Text.StartsWith("AgentRun for Sample: dry run", StringComparison.Ordinal)).Text;
        Assert.Contains("docker build -f ", plan);
        Assert.Contains("docker run --detach --user 65534:65534 --name agentsandbox-agentrun-agent-", plan);
        Assert.Contains("--env ANTHROPIC_API_KEY", plan);
        Assert.DoesNotContain("sk-ant-dry-run-secret", run.Log);
        Assert.False(File.Exists(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
    }
}
