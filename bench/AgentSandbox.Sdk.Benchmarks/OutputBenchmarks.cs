using System.Diagnostics;
using System.Text;
using static AgentSandbox.Sdk.Benchmarks.Bench;

namespace AgentSandbox.Sdk.Benchmarks;

/// <summary>From the agent's output to the build's log: latency per line, the build's memory under a flood.</summary>
internal static class OutputBenchmarks
{
    private static (string Name, string Value)[] Custom(string command) =>
        [("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentWorkspaceMode", "mount"), ("AgentCommand", command)];

    public static void Latency(BenchSetup setup)
    {
        const string section = "8 output";
        var project = setup.NewProject("Output");
        // Each line says when the container wrote it (ns since the epoch; one clock: same machine). AgentCommand's
        // arguments are separated by semicolons, so the script has none.
        var properties = setup.Properties(Custom("sh;-c;seq 20 | xargs -I@ sh -c 'echo tick $(date +%s%N) && sleep 0.2'"));
        Exec("sh", ["-c", WholeProcessBenchmarks.Build(project, "AgentRun", properties)]);
        var latencies = new List<double>();
        var start = new ProcessStartInfo("sh", ["-c", WholeProcessBenchmarks.Build(project, "AgentRun", properties).Replace("-v:q", "-v:n")]) { RedirectStandardOutput = true };
        using (var build = Process.Start(start)!)
        {
            while (build.StandardOutput.ReadLine() is { } line)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000.0;
                var at = line.IndexOf("tick ", StringComparison.Ordinal);
                if (at >= 0 && long.TryParse(line[(at + 5)..].Trim(), Invariant, out var written))
                {
                    latencies.Add((now - written) / 1_000_000.0);
                }
            }
            build.WaitForExit();
        }
        var median = Median(latencies);
        Add(new Row(section, Format($"from the container's line to the build's log (median of {latencies.Count})"), Format($"{median:0} ms (max {latencies.Max():0} ms)"), "< 100 ms", median < 100));
    }

    public static void Memory(BenchSetup setup)
    {
        const string section = "8 output";
        var project = setup.NewProject("Flood");
        long Peak(string command)
        {
            var output = Exec("/usr/bin/time", ["-f", "peak-kib %M", "sh", "-c", WholeProcessBenchmarks.Build(project, "AgentRun", setup.Properties(Custom(command))) + " -nodeReuse:false"]).Output;
            return long.Parse(output.Split('\n').Last(line => line.StartsWith("peak-kib ", StringComparison.Ordinal))["peak-kib ".Length..].Trim(), Invariant);
        }
        Peak("true");
        var quiet = Peak("sh;-c;sleep 20 && echo one line");
        var loud = Peak("sh;-c;head -c 209715200 /dev/zero | tr '\\0' x | fold -w 1024");
        Add(new Row(section, "the build's peak memory while the agent prints 200 MB, against a quiet agent",
            Format($"{loud / 1024} MiB against {quiet / 1024} MiB (+{(loud - quiet) / 1024} MiB)"), "< 50 MB extra", (loud - quiet) * 1024 < 50_000_000));
    }
}
