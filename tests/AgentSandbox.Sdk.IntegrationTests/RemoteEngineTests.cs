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
public class SecondEngine : IDisposable
{
    private readonly string _root = Path.Combine("/tmp", $"ags-{Guid.NewGuid():N}"[..12]);
    private readonly string _bridge = $"agsbr{Random.Shared.Next(1000, 9999)}";
    private readonly string? _configuration;
    private Process? _daemon;

    public SecondEngine()
        : this(null)
    {
    }

    /// <param name="configuration">Its daemon.json (the machine's /etc/docker/daemon.json when null).</param>
    protected SecondEngine(string? configuration)
    {
        _configuration = configuration;
        if (TestDocker.Unavailable is not null || Environment.UserName != "root")
        {
            Unavailable = TestDocker.Unavailable ?? "a second engine needs root";
            return;
        }
        var port = FreePort();
        Endpoint = $"tcp://127.0.0.1:{port}";
        Directory.CreateDirectory(_root);
        if (configuration is not null)
        {
            File.WriteAllText(Path.Combine(_root, "daemon.json"), configuration);
        }
        // A bridge of its own: --bridge=none would delete the first engine's docker0.
        Run("ip", "link", "add", _bridge, "type", "bridge");
        Run("ip", "addr", "add", $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(1, 250)}.1/24", "dev", _bridge);
        Run("ip", "link", "set", _bridge, "up");
        StartDaemon();
        var load = Process.Start(new ProcessStartInfo("sh", ["-c", $"docker save {TestDocker.BaseImage} | DOCKER_HOST={Endpoint} docker load -q"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        load.WaitForExit();
        Unavailable = load.ExitCode == 0 ? null : "the base image could not be copied to the second engine";
    }

    public string Endpoint { get; } = "";

    /// <summary>
    /// What `systemctl restart docker` does to a run: the engine stops its containers and exits, then comes back on the
    /// same data; <paramref name="whileDown"/> runs in between.
    /// </summary>
    public void Restart(Action whileDown)
    {
        StopDaemon();
        whileDown();
        StartDaemon();
    }

    private void StartDaemon()
    {
        _daemon = Process.Start(new ProcessStartInfo("dockerd",
            ["--data-root", Path.Combine(_root, "d"), "--exec-root", Path.Combine(_root, "e"), "--pidfile", Path.Combine(_root, "pid"),
             "-H", Endpoint, "--iptables=false", "--bridge", _bridge, .. _configuration is null ? [] : (string[])["--config-file", Path.Combine(_root, "daemon.json")]])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.ErrorDataReceived += (_, _) => { };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        for (var attempt = 0; attempt < 60 && Docker("version").ExitCode != 0; attempt++)
        {
            Thread.Sleep(500);
        }
    }

    private void StopDaemon()
    {
        // SIGTERM: dockerd stops its containers and its own containerd, then exits.
        Run("kill", "-TERM", _daemon!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!_daemon.WaitForExit(30_000))
        {
            _daemon.Kill(entireProcessTree: true);
        }
        _daemon.Dispose();
    }

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

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        if (_daemon is null)
        {
            return;
        }
        StopDaemon();
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

    [DockerFact]
    public async Task An_engine_restarted_mid_run_is_AGS2005_within_seconds_and_nothing_is_applied()
    {
        Assert.True(_engine.Unavailable is null, _engine.Unavailable);
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var build = Task.Run(() => project.Build("AgentRun", SandboxProperties.ForTests(("AgentDockerHost", _engine.Endpoint), ("AgentKind", "custom"),
            ("AgentNetwork", "none"), ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;sed -i s/World/Restarted/ Program.cs && echo started && sleep 300"))));
        var running = "";
        for (var attempt = 0; attempt < 1800 && running.Length == 0 && !build.IsCompleted; attempt++)
        {
            await Task.Delay(100);
            running = _engine.Docker("ps", "-q", "--filter", $"label=org.agentsandbox.project={project.Directory}").Output.Trim();
        }
        Assert.NotEqual("", running);
        await Task.Delay(1000);
        var stopwatch = Stopwatch.StartNew();
        TimeSpan? failedAfter = null;
        _engine.Restart(whileDown: () => failedAfter = build.Wait(TimeSpan.FromSeconds(30)) ? stopwatch.Elapsed : null);
        var run = await build;

        Assert.False(run.Succeeded, run.Log);
        Assert.True(failedAfter < TimeSpan.FromSeconds(15), $"the build ended {failedAfter?.TotalSeconds:0.0} s after the engine began to stop");
        var error = Assert.Single(run.Errors);
        Assert.True(error.Code == "AGS2005", error.Text);
        Assert.Contains(_engine.Endpoint, error.Text);
        Assert.Contains("(Connection refused)", error.Text);
        Assert.DoesNotContain("   at ", run.Log);
        Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
        Console.WriteLine($"engine restart: AGS2005 {failedAfter?.TotalSeconds:0.0} s after the engine began to stop: {error.Text}");
        Assert.Equal("AGS2005", result.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(result.RootElement.GetProperty("applied").GetBoolean());
    }
}
