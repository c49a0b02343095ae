using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// A second Docker engine of the test's own, listening on a loopback TCP port with its own data root and bridge: what a
/// remote engine (DOCKER_HOST=tcp://…) looks like to AgentSandbox. Copy mode never shares a host path with it.
/// </summary>
public sealed class SecondEngine : IDisposable
{
    private readonly string _root = Path.Combine("/tmp", $"ags-{Guid.NewGuid():N}"[..12]);
    private readonly string _bridge = $"agsbr{Random.Shared.Next(1000, 9999)}";
    private readonly Process? _daemon;

    public SecondEngine()
    {
        if (TestDocker.Unavailable is not null || Environment.UserName != "root")
        {
            Unavailable = TestDocker.Unavailable ?? "a second engine needs root";
            return;
        }
        var port = FreePort();
        Endpoint = $"tcp://127.0.0.1:{port}";
        Directory.CreateDirectory(_root);
        // A bridge of its own: --bridge=none would delete the first engine's docker0.
        Run("ip", "link", "add", _bridge, "type", "bridge");
        Run("ip", "addr", "add", $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(1, 250)}.1/24", "dev", _bridge);
        Run("ip", "link", "set", _bridge, "up");
        _daemon = Process.Start(new ProcessStartInfo("dockerd",
            ["--data-root", Path.Combine(_root, "d"), "--exec-root", Path.Combine(_root, "e"), "--pidfile", Path.Combine(_root, "pid"),
             "-H", Endpoint, "--iptables=false", "--bridge", _bridge])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.ErrorDataReceived += (_, _) => { };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        for (var attempt = 0; attempt < 60 && Docker("version").ExitCode != 0; attempt++)
        {
            Thread.Sleep(500);
        }
        var load = Process.Start(new ProcessStartInfo("sh", ["-c", $"docker save {TestDocker.BaseImage} | DOCKER_HOST={Endpoint} docker load -q"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        load.WaitForExit();
        Unavailable = load.ExitCode == 0 ? null : "the base image could not be copied to the second engine";
    }

    public string Endpoint { get; } = "";

    public string? Unavailable { get; }

    public (int ExitCode, string Output) Docker(params string[] arguments)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOCKER_HOST"] = Endpoint;
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    private static void Run(string fileName, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (_daemon is null)
        {
            return;
        }
        // SIGTERM: dockerd stops its containers and its own containerd, then exits.
        Run("kill", "-TERM", _daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!_daemon.WaitForExit(30_000))
        {
            _daemon.Kill(entireProcessTree: true);
        }
        Run("ip", "link", "del", _bridge);
        // What the engine leaves mounted under its roots (its network namespace under the exec root), deepest first.
        foreach (var mount in File.ReadLines("/proc/self/mounts").Select(line => line.Split(' ')[1]).Where(path => path.StartsWith(_root + "/", StringComparison.Ordinal)).OrderByDescending(path => path.Length))
        {
            Run("umount", "-l", mount);
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }
}

[Collection(MSBuildCollection.Name)]
public sealed class RemoteEngineTests : IClassFixture<SecondEngine>
{
    private readonly SecondEngine _engine;

    public RemoteEngineTests(SecondEngine engine) => _engine = engine;

    [DockerFact]
    public void Copy_mode_runs_the_agent_on_a_remote_engine_and_applies_its_edit()
    {
        Assert.True(_engine.Unavailable is null, _engine.Unavailable);
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentDockerHost", _engine.Endpoint), ("AgentKind", "custom"),
            ("AgentNetwork", "none"), ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;sed -i s/World/Remote/ Program.cs && echo remote > Remote.txt")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("Hello, Remote!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Equal("remote\n", File.ReadAllText(Path.Combine(project.Directory, "Remote.txt")));
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
        Assert.True(result.RootElement.GetProperty("applied").GetBoolean());
        // The image was built there, and nothing of the run was left there.
        var image = result.RootElement.GetProperty("image").GetString()!;
        Assert.Equal(0, _engine.Docker("image", "inspect", image).ExitCode);
        Assert.Equal("", _engine.Docker("ps", "-a", "-q", "--filter", "label=org.agentsandbox.run").Output.Trim());
    }
}
