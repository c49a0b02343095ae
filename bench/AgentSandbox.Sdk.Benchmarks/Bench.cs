using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentSandbox.Sdk.Benchmarks;

/// <summary>One line of the results table: what was measured, the figure, and the target it is held against.</summary>
internal sealed record Row(string Section, string Measure, string Figure, string Target = "", bool? Met = null);

/// <summary>What every section needs: processes, timings, the table.</summary>
internal static class Bench
{
    public static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static List<Row> Rows { get; } = [];

    public static void Add(Row row)
    {
        Rows.Add(row);
        var verdict = row.Met switch { true => " (met)", false => " (NOT met)", null => "" };
        Console.WriteLine($"  {row.Measure}: {row.Figure}{(row.Target.Length > 0 ? $"; target {row.Target}" : "")}{verdict}");
    }

    public static string Format(FormattableString text) => text.ToString(Invariant);

    public static string Seconds(double seconds) => Format($"{seconds:0.000} s");

    public static string Megabytes(long bytes) => Format($"{bytes / 1_000_000.0:0} MB");

    /// <summary>Runs a program to its end; its output, and an exception with it when it fails and <paramref name="check"/>.</summary>
    public static (int ExitCode, string Output) Exec(string file, IEnumerable<string> arguments, string? workingDirectory = null, bool check = true,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd() + error.Result;
        process.WaitForExit();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{Tail(output, 40)}");
        }
        return (process.ExitCode, output);
    }

    public static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    /// <summary>
    /// hyperfine over shell command lines, one after the other with a warm-up run each; the median seconds of each by
    /// its name. hyperfine runs them in this process's environment.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Hyperfine(IReadOnlyList<(string Name, string Command)> commands, int runs, string workingDirectory) =>
        RunHyperfine(["--warmup", "1", "--runs", runs.ToString(Invariant)], commands, "median", workingDirectory);

    /// <summary>One hyperfine call over the commands with <paramref name="options"/>: each command's <paramref name="figure"/> (median, mean) in seconds, by its name.</summary>
    private static Dictionary<string, double> RunHyperfine(IEnumerable<string> options, IReadOnlyList<(string Name, string Command)> commands, string figure, string workingDirectory)
    {
        var export = Path.GetTempFileName();
        List<string> arguments = [.. options, "--export-json", export, "--style", "basic"];
        foreach (var (name, command) in commands)
        {
            arguments.AddRange(["--command-name", name, command]);
        }
        try
        {
            Exec("hyperfine", arguments, workingDirectory);
            using var results = JsonDocument.Parse(File.ReadAllText(export));
            return results.RootElement.GetProperty("results").EnumerateArray()
                .ToDictionary(result => result.GetProperty("command").GetString()!, result => result.GetProperty(figure).GetDouble());
        }
        finally
        {
            File.Delete(export);
        }
    }

    /// <summary>
    /// hyperfine over shell command lines in rounds, each running every command once, one after the other: these
    /// machines' speed drifts from one minute to the next, and within a round it weighs on all the commands alike, so
    /// that a difference or a ratio taken round by round holds where one of medians taken minutes apart does not. A
    /// first round, not counted, warms them up. The seconds of each command in each counted round, by its name.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<double>> HyperfineRounds(IReadOnlyList<(string Name, string Command)> commands, int rounds, string workingDirectory)
    {
        var times = commands.ToDictionary(command => command.Name, _ => new List<double>());
        for (var round = 0; round <= rounds; round++)
        {
            var seconds = RunHyperfine(["--runs", "1"], commands, "mean", workingDirectory);
            foreach (var (name, time) in seconds.Where(_ => round > 0))
            {
                times[name].Add(time);
            }
        }
        return times.ToDictionary(command => command.Key, command => (IReadOnlyList<double>)command.Value);
    }

    /// <summary>The median over rounds of what <paramref name="measure"/> makes of each round's seconds.</summary>
    public static double PairedMedian(IReadOnlyDictionary<string, IReadOnlyList<double>> rounds, Func<Func<string, double>, double> measure) =>
        Median(Enumerable.Range(0, rounds.Values.First().Count).Select(round => measure(name => rounds[name][round])));

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Source-like files: <paramref name="count"/> of them in folders of 200, 4–12 KB each, or tiny ones (a node_modules).</summary>
    public static long WriteFiles(string root, int count, bool tiny = false, int seed = 1)
    {
        var random = new Random(seed);
        long bytes = 0;
        for (var i = 0; i < count; i++)
        {
            var folder = Path.Combine(root, $"d{i / 200:D4}");
            if (i % 200 == 0)
            {
                Directory.CreateDirectory(folder);
            }
            var text = tiny ? $"module.exports = {i};\n" : string.Concat(Enumerable.Repeat($"// line {i} of generated source code\n", random.Next(100, 300)));
            File.WriteAllText(Path.Combine(folder, tiny ? $"f{i}.js" : $"File{i:D6}.cs"), text);
            bytes += text.Length;
        }
        return bytes;
    }

    public static string Markdown(IEnumerable<Row> rows, string heading)
    {
        var text = new StringBuilder();
        text.AppendLine(heading).AppendLine();
        text.AppendLine("| Section | Measure | Figure | Target | Met |");
        text.AppendLine("|---|---|---|---|---|");
        foreach (var row in rows)
        {
            text.AppendLine($"| {row.Section} | {row.Measure} | {row.Figure} | {row.Target} | {row.Met switch { true => "yes", false => "**no**", null => "" }} |");
        }
        return text.ToString();
    }
}
