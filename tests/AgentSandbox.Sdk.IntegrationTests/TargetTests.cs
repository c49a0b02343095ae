using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>The targets' behaviour in a real evaluation of real projects, without an engine.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class TargetTests
{
    [Fact]
    public void DesignTimeBuildsNeitherGenerateNorRun()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        // No prompt and no key: a real build would fail with AGS1001; a design-time build must not even try.
        var run = project.Build("AgentRun", new Dictionary<string, string> { ["DesignTimeBuild"] = "true" });
        Assert.True(run.Succeeded, run.Log);
        Assert.Empty(run.Errors);
        Assert.False(Directory.Exists(project.SandboxDirectory));
    }

    [Fact]
    public void DockerfileFollowsTheSdkGlobalJsonPinsAboveTheProject()
    {
        using var project = new TestProject(targetFrameworks: "net8.0;net9.0");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(project.Directory)!, "global.json"), """{ "sdk": { "version": "10.0.100", "rollForward": "latestFeature" } }""");
        var run = project.Build("AgentSandboxDockerfile");
        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0\n", File.ReadAllText(Path.Combine(project.SandboxDirectory, "context", "Dockerfile")));
    }

    [Fact]
    public void DockerfileTakesSystemPackagesAndTheHostCaBundle()
    {
        using var project = new TestProject(extraItems: "<AgentSystemPackage Include=\"libicu-dev\" />");
        var ca = Path.Combine(project.Directory, "corporate-ca.pem");
        File.WriteAllText(ca, "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n");
        var run = project.Build("AgentSandboxDockerfile", new Dictionary<string, string> { ["AgentCaCertificates"] = ca });
        Assert.True(run.Succeeded, run.Log);
        var context = Path.Combine(project.SandboxDirectory, "context");
        var dockerfile = File.ReadAllText(Path.Combine(context, "Dockerfile"));
        Assert.Contains("git ripgrep libicu-dev", dockerfile);
        Assert.Contains("update-ca-certificates", dockerfile);
        Assert.Equal(["Dockerfile", "agentsandbox-ca.crt"], Directory.GetFiles(context).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void AgentSandboxResultSchemaNamesThePublishedSchema()
    {
        using var project = new TestProject();
        var run = project.Build("AgentSandboxDockerfile");
        Assert.True(run.Succeeded, run.Log);
        var schema = run.StateAfterBuild!.GetPropertyValue("AgentSandboxResultSchema");
        Assert.Equal(Path.Combine(TestProject.RepositoryRoot, "schemas", "result.schema.json"), schema);
        Assert.True(File.Exists(schema), schema);
    }

    [Fact]
    public void AgentSandboxDockerfileNamesTheFileAtTheDefaultVerbosity()
    {
        using var project = new TestProject();
        var run = project.Build("AgentSandboxDockerfile");
        Assert.True(run.Succeeded, run.Log);
        var dockerfile = Path.Combine(project.SandboxDirectory, "context", "Dockerfile");
        Assert.True(run.Messages.Any(m => m.Importance == Microsoft.Build.Framework.MessageImportance.High && m.Text.Contains(dockerfile, StringComparison.Ordinal)), string.Join("\n", run.Messages.Where(m => m.Text.Contains("Dockerfile for", StringComparison.Ordinal))));
    }
}
