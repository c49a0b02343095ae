using System.Net;

namespace AgentSandbox.Sdk.IntegrationTests.Infrastructure;

/// <summary>
/// A Docker network of the test's own, to be AgentEgressNetwork: HTTP servers in containers on it stand in for the
/// internet, and the host's address on it (its gateway) for a service of the machine's. Everything is removed afterwards.
/// </summary>
public sealed class TestNetwork : IDisposable
{
    private readonly List<string> _containers = [];

    public TestNetwork()
    {
        Name = $"agentsandbox-test-egress-{Guid.NewGuid():N}"[..40];
        var created = Shell.Run("docker", "network", "create", Name);
        Assert.True(created.ExitCode == 0, created.Output);
        Gateway = IPAddress.Parse(Shell.Run("docker", "network", "inspect", Name, "-f", "{{(index .IPAM.Config 0).Gateway}}").Output.Trim());
    }

    public string Name { get; }

    /// <summary>The host's address on the network.</summary>
    public IPAddress Gateway { get; }

    /// <summary>Starts a container answering every HTTP request on port 8080 with "hello from NAME"; returns its address.</summary>
    public string StartHttpServer(string name)
    {
        var started = Shell.Run("docker", "run", "-d", "--name", name, "--network", Name, TestDocker.BaseImage, "perl", "-MIO::Socket::INET", "-e",
            $$"""$l = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die; while ($c = $l->accept) { while (<$c>) { last if /^\r?\n$/ } print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello from {{name}}\n"; close $c }""");
        Assert.True(started.ExitCode == 0, started.Output);
        _containers.Add(name);
        return Shell.Run("docker", "inspect", name, "-f", $"{{{{(index .NetworkSettings.Networks \"{Name}\").IPAddress}}}}").Output.Trim();
    }

    /// <summary>AgentSandbox's own networks and volumes of a run (the proxy's sockets) that are still there for a project directory (there should be none).</summary>
    public static string Leftovers(string projectDirectory) => string.Join('\n', new[] { "network", "volume" }
        .Select(kind => Shell.Run("docker", kind, "ls", "-q", "--filter", $"label=org.agentsandbox.project={projectDirectory}").Output.Trim())
        .Where(names => names.Length > 0));

    public void Dispose()
    {
        foreach (var container in _containers)
        {
            Shell.Run("docker", "rm", "-f", container);
        }
        Shell.Run("docker", "network", "rm", Name);
    }
}
