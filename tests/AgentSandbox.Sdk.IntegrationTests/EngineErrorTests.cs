using System.Diagnostics;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>A missing, silent or incompatible engine fails with a code that names the endpoint, and never hangs.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class EngineErrorTests
{
    private static BuildRun BuildImage(TestProject project, string dockerHost) =>
        project.Build("AgentSandboxImage", new Dictionary<string, string> { ["AgentDockerHost"] = dockerHost });

    [Fact]
    public void NoEngineAtTheSocketIsAGS2001NamingTheEndpoint()
    {
        using var project = new TestProject();
        var run = BuildImage(project, "unix:///nonexistent/agentsandbox.sock");
        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS2001", error.Code);
        Assert.Contains("unix:///nonexistent/agentsandbox.sock", error.Text);
        Assert.Contains("DOCKER_HOST", error.Text);
        Assert.Contains("there is no socket at /nonexistent/agentsandbox.sock", error.Text);
    }

    [Fact]
    public void NothingListeningAtATcpEndpointIsAGS2001NamingIt()
    {
        using var project = new TestProject();
        // A port just freed: nothing listens there, and the connection is refused at once.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = $"tcp://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();

        var run = BuildImage(project, endpoint);

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.True(error.Code == "AGS2001", error.Text);
        Assert.Contains(endpoint, error.Text);
        Assert.Contains("refused", error.Text);
    }

    [Fact]
    public void SilentEngineIsAGS2001AfterTheConnectTimeout()
    {
        using var engine = FakeDockerEngine.Silent();
        using var project = new TestProject();
        var stopwatch = Stopwatch.StartNew();
        var run = BuildImage(project, engine.Endpoint);
        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS2001", error.Code);
        Assert.Contains("no answer within 5 s", error.Text);
        Assert.Contains(engine.Endpoint.Replace("tcp://", ""), error.Text);
        Console.WriteLine($"silent engine answered with AGS2001 after {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public void ExistingImageOnTheSameBaseCostsTwoEngineRequests()
    {
        using var project = new TestProject();
        var generated = project.Build("AgentSandboxDockerfile");
        Assert.True(generated.Succeeded, generated.Log);
        var context = Path.Combine(project.SandboxDirectory, "context");
        // The image's own stage, the last; the agent's install stage comes first.
        var baseImage = File.ReadLines(Path.Combine(context, "Dockerfile")).Last(line => line.StartsWith("FROM ", StringComparison.Ordinal))[5..];
        // The fake engine gives every image it has the ID sha256:fake.
        var tag = AgentSandbox.Image.SandboxBuildContext.ReadFrom(context).ImageTagFor("sha256:fake");
        using var engine = FakeDockerEngine.WithApi("1.41", "1.12").WithImage(baseImage).WithImage(tag);

        var run = BuildImage(project, engine.Endpoint);

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains($"Sandbox image {tag} is up to date (base {baseImage}, sha256:fake).", run.Log);
        Assert.Equal([$"GET /images/{baseImage}/json", $"GET /images/{tag}/json"], engine.Requests);
    }

    [Theory]
    [InlineData("1.24", "1.12")] // an engine older than 20.10
    [InlineData("1.70", "1.60")] // an engine that no longer serves any API this client knows
    public void EngineWithAnApiWeCannotUseIsAGS2002(string apiVersion, string minApiVersion)
    {
        using var engine = FakeDockerEngine.WithApi(apiVersion, minApiVersion);
        using var project = new TestProject();
        var run = BuildImage(project, engine.Endpoint);
        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS2002", error.Code);
        Assert.Contains($"{minApiVersion}–{apiVersion}", error.Text);
    }
}
