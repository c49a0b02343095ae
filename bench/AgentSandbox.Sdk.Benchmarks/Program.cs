using System.Globalization;
using AgentSandbox.Sdk.Benchmarks;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using static AgentSandbox.Sdk.Benchmarks.Bench;

// What AgentSandbox costs, against a real engine with the real Claude Code CLI and the scripted API; build/bench.sh
// runs it and says what it needs. Prints one table and writes it to artifacts/bench/results.md.
//   dotnet run -c Release --project bench/AgentSandbox.Sdk.Benchmarks -- [--quick] [--only 1,2,...]
var quick = args.Contains("--quick");
var only = args.SkipWhile(arg => arg != "--only").Skip(1).FirstOrDefault()?.Split(',').ToHashSet();
bool Wanted(string section) => only is null || only.Contains(section);
var runs = quick ? 3 : 10;

var repository = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(repository, "AgentSandbox.Sdk.sln")))
{
    repository = Path.GetDirectoryName(repository) ?? throw new InvalidOperationException("run it from the repository");
}
var started = DateTimeOffset.Now;

string? sandboxImage = null;
await using (var setup = BenchSetup.Start(repository))
{
    if (Wanted("1") || Wanted("5"))
    {
        Console.WriteLine("== 1 warm AgentRun, each workspace and network mode");
        sandboxImage = WholeProcessBenchmarks.WarmRuns(setup, runs);
    }
    if (Wanted("2") || Wanted("4"))
    {
        Console.WriteLine("== 2 the no-op image step; 4 the build context");
        WholeProcessBenchmarks.NoOpImageStep(setup);
    }
    if (Wanted("3"))
    {
        Console.WriteLine("== 3 the copy workspace");
        await CopyBenchmarks.RunAsync(setup.BaseImage, quick ? [1_000, 20_000] : [1_000, 20_000, 100_000]);
    }
    if (Wanted("5"))
    {
        Console.WriteLine("== 5 image size");
        WholeProcessBenchmarks.ImageSize(setup, sandboxImage!);
    }
    if (Wanted("6"))
    {
        Console.WriteLine("== 6 rebuild after one change");
        WholeProcessBenchmarks.Rebuilds(setup);
    }
    if (Wanted("7"))
    {
        Console.WriteLine("== 7 four projects at once");
        WholeProcessBenchmarks.Parallel(setup, quick ? 2 : 5);
    }
    if (Wanted("8"))
    {
        Console.WriteLine("== 8 output");
        OutputBenchmarks.Latency(setup);
        OutputBenchmarks.Memory(setup);
        Environment.SetEnvironmentVariable("AGENTSANDBOX_BENCH_RECORDING", Path.Combine(repository, "tests", "AgentSandbox.Sdk.Tests", "Recordings", "claude-2.1.328-edit.jsonl"));
        // In this process: no generated project builds the repository again beside it.
        var config = ManualConfig.CreateEmpty().AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance)).AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance).WithArtifactsPath(Path.Combine(repository, "artifacts", "bench", "BenchmarkDotNet"))
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<ParserBenchmarks>(config);
        var nanoseconds = summary.Reports.Single().ResultStatistics?.Median ?? throw new InvalidOperationException("BenchmarkDotNet measured nothing: see its output above");
        var perSecond = ParserBenchmarks.Lines / (nanoseconds / 1e9);
        Add(new Row("8 output", "Claude Code stream-json parsed (BenchmarkDotNet, a real recording's lines)", Format($"{perSecond:N0} lines/s"), "≥ 200,000 lines/s", perSecond >= 200_000));
    }
    if (Wanted("9"))
    {
        Console.WriteLine("== 9 the egress proxy");
        EgressBenchmarks.Proxy(setup, runs);
    }
    if (Wanted("10"))
    {
        Console.WriteLine("== 10 fan-out over a cluster");
        WholeProcessBenchmarks.FanOut(setup, quick ? 2 : 3);
    }
}

var machine = $"{Environment.ProcessorCount} cores, {Exec("docker", ["version", "-f", "{{.Server.Version}}"]).Output.Trim()} engine";
var table = Markdown(Rows, $"AgentSandbox.Sdk benchmark, {started:yyyy-MM-dd HH:mm} ({machine}; medians; `build/bench.sh{(quick ? " --quick" : "")}`)");
Console.WriteLine();
Console.WriteLine(table);
var results = Path.Combine(repository, "artifacts", "bench", "results.md");
Directory.CreateDirectory(Path.GetDirectoryName(results)!);
File.WriteAllText(results, table);
Console.WriteLine($"written to {results}");
return Rows.Any(row => row.Met == false) ? 1 : 0;
