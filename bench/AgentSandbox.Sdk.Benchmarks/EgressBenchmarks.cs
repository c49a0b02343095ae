using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using static AgentSandbox.Sdk.Benchmarks.Bench;

namespace AgentSandbox.Sdk.Benchmarks;

/// <summary>
/// The egress proxy as the package ships it, run on this machine against a server on loopback: the latency it adds
/// to a request, and a 100 MB download through it against a direct one.
/// </summary>
internal static class EgressBenchmarks
{
    public static void Proxy(BenchSetup setup, int runs)
    {
        const string section = "9 egress proxy";
        var proxyPath = Directory.EnumerateFiles(Path.Combine(setup.Repository, "src", "AgentSandbox.Sdk", "bin", "Release"), "agentsandbox-egress", SearchOption.AllDirectories)
            .First(path => path.Contains("linux-x64", StringComparison.Ordinal));
        var content = Directory.CreateTempSubdirectory("agentsandbox-bench-egress-").FullName;
        Exec("sh", ["-c", $"head -c 100000000 /dev/urandom > {content}/big && echo small > {content}/small"]);
        var serverPort = FreePort();
        var proxyPort = FreePort();
        using var server = Process.Start(new ProcessStartInfo("python3", ["-m", "http.server", serverPort.ToString(Invariant), "--bind", "127.0.0.1", "--directory", content])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        using var proxy = Process.Start(new ProcessStartInfo(proxyPath) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        proxy.StandardInput.WriteLine($$"""{"port":{{proxyPort}},"names":["agentsandbox-egress"],"allow":["127.0.0.1:{{serverPort}}"],"routes":[]}""");
        proxy.StandardInput.Close();
        proxy.StandardOutput.ReadLine();
        proxy.ErrorDataReceived += (_, _) => { };
        proxy.BeginErrorReadLine();
        _ = proxy.StandardOutput.ReadToEndAsync();
        WaitForListener(serverPort);
        WaitForListener(proxyPort);
        try
        {
            var url = $"http://127.0.0.1:{serverPort}";
            var via = $"--proxy http://127.0.0.1:{proxyPort}";
            // Not through a proxy of the machine's that the environment may name.
            const string direct = "--noproxy '*'";
            var medians = Hyperfine([("direct", $"curl -sf -o /dev/null {direct} {url}/small"), ("through the proxy", $"curl -sf -o /dev/null {via} {url}/small")], runs * 5, content);
            Add(new Row(section, "a small request (curl, whole process)", Format($"{medians["through the proxy"] * 1000:0.0} ms through the proxy against {medians["direct"] * 1000:0.0} ms direct (+{(medians["through the proxy"] - medians["direct"]) * 1000:0.0} ms)")));
            double Speed(string options) => Median(Enumerable.Range(0, 3).Select(_ =>
                double.Parse(Exec("sh", ["-c", $"curl -sf -o /dev/null -w '%{{speed_download}}' {options} {url}/big"]).Output.Trim(), Invariant)));
            var (straight, proxied) = (Speed(direct), Speed(via));
            Add(new Row(section, "a 100 MB download", Format($"{proxied / 1_000_000:0} MB/s through the proxy against {straight / 1_000_000:0} MB/s direct ({proxied / straight:0.00}x)")));
        }
        finally
        {
            proxy.Kill();
            server.Kill();
            Directory.Delete(content, recursive: true);
        }
    }

    /// <summary>Until something accepts connections on the loopback port (python's server takes a moment to start).</summary>
    private static void WaitForListener(int port)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new InvalidOperationException($"nothing listens on 127.0.0.1:{port}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
