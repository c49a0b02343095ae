using AgentSandbox.Agents;
using BenchmarkDotNet.Attributes;
using NuGet.Versioning;

namespace AgentSandbox.Sdk.Benchmarks;

/// <summary>Claude Code's stream-json, parsed as a run parses it: a real recording's lines, over and over.</summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    public const int Lines = 100_000;

    private string[] _lines = [];

    [GlobalSetup]
    public void Setup()
    {
        var recording = File.ReadAllLines(Environment.GetEnvironmentVariable("AGENTSANDBOX_BENCH_RECORDING")!).Where(line => line.Length > 0).ToArray();
        _lines = Enumerable.Range(0, Lines).Select(i => recording[i % recording.Length]).ToArray();
    }

    [Benchmark]
    public int ClaudeStreamJson()
    {
        var parser = new ClaudeCodeProfile().CreateParser(NuGetVersion.Parse("2.1.328"));
        var events = 0;
        foreach (var line in _lines)
        {
            foreach (var _ in parser.ParseLine(line))
            {
                events++;
            }
        }
        return events;
    }
}
