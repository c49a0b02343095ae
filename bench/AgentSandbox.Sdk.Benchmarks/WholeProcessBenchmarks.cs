using System.Text.Json;
using static AgentSandbox.Sdk.Benchmarks.Bench;

namespace AgentSandbox.Sdk.Benchmarks;

/// <summary>
/// `dotnet build` as users run it, timed by hyperfine: warm AgentRun in each workspace and network mode against a
/// target that does nothing and the equivalent bare `docker run`; the no-op image step, timed inside the task; the
/// build context; the image against the plain recipe; what one changed input rebuilds; four projects at once.
/// </summary>
internal static class WholeProcessBenchmarks
{
    public static string Build(string project, string target, string properties) =>
        $"dotnet build {project} -t:{target} -nologo -tl:off -v:q {properties}";

    /// <returns>The sandbox image the runs used (the allowlist's runs use it with the proxy's layer on top).</returns>
    public static string WarmRuns(BenchSetup setup, int runs)
    {
        const string section = "1 warm AgentRun";
        var project = setup.NewProject("App");
        var directory = Path.GetDirectoryName(project)!;
        // The image, built once; each mode's own images (the proxy's layer) too.
        (string Name, string Workspace, string Network)[] modes = [("mount + host", "mount", "host"), ("mount + allowlist", "mount", "allowlist"), ("copy + host", "copy", "host"), ("copy + allowlist (defaults)", "copy", "allowlist")];
        var image = "";
        foreach (var mode in modes)
        {
            Exec("sh", ["-c", Build(project, "AgentRun", setup.Properties(("AgentWorkspaceMode", mode.Workspace), ("AgentNetwork", mode.Network)))]);
            image = image.Length > 0 ? image : ImageOf(directory);
        }

        var bare = BareDockerRun(setup, project, image);
        Console.WriteLine($"  bare: {bare}");

        List<(string, string)> commands = [("noop target", Build(project, "Noop", setup.Properties())), ("bare docker run", bare + " > /dev/null")];
        commands.AddRange(modes.Select(mode => (mode.Name, Build(project, "AgentRun", setup.Properties(("AgentWorkspaceMode", mode.Workspace), ("AgentNetwork", mode.Network))))));
        // The defaults once more, without AgentForce: nothing changed since the last successful run, so none runs.
        const string skipped = "copy + allowlist, inputs unchanged (skipped)";
        commands.Add((skipped, Build(project, "AgentRun", setup.Properties(("AgentForce", "false")))));
        var rounds = HyperfineRounds(commands, runs, directory);
        var medians = rounds.ToDictionary(command => command.Key, command => Median(command.Value));
        Add(new Row(section, "noop target (MSBuild's own cost)", Seconds(medians["noop target"])));
        Add(new Row(section, "bare docker run of the same image and arguments", Seconds(medians["bare docker run"])));
        foreach (var mode in modes)
        {
            // Round by round: this run against the noop target and the bare run of the same round.
            var over = PairedMedian(rounds, seconds => seconds(mode.Name) - seconds("noop target") - seconds("bare docker run"));
            var (target, limit) = mode.Name switch
            {
                "mount + host" => ("≤ 0.250 s over noop + bare", 0.25),
                "copy + allowlist (defaults)" => ("≤ 1.000 s over noop + bare", 1.0),
                _ => ("", double.NaN),
            };
            Add(new Row(section, $"AgentRun, {mode.Name}", Format($"{medians[mode.Name]:0.000} s ({over:+0.000;-0.000} s over noop + bare, the median of {runs} rounds)"), target,
                double.IsNaN(limit) ? null : over <= limit));
        }
        Add(new Row(section, $"AgentRun, {skipped}", Format($"{medians[skipped]:0.000} s ({PairedMedian(rounds, seconds => seconds(skipped) - seconds("noop target")):+0.000;-0.000} s over noop)")));
        return image;
    }

    /// <summary>
    /// The dry run's own docker run line for a project (mount + host), with the image's tag, as a user would type it:
    /// without our name and labels (so that no sweep of ours takes it for a leftover). Our fixed settings are in it
    /// with their values, the credentials by name from this process. Run once, so that it is known to work before it is timed.
    /// </summary>
    private static string BareDockerRun(BenchSetup setup, string project, string image)
    {
        var dry = Exec("sh", ["-c", Build(project, "AgentRun", setup.Properties(("AgentWorkspaceMode", "mount"), ("AgentNetwork", "host"), ("AgentDryRun", "true"))).Replace("-v:q", "-v:n")]).Output;
        var bare = dry.Split('\n').Select(line => line.Trim()).First(line => line.StartsWith("docker run ", StringComparison.Ordinal))
            .Replace("'agentsandbox:<hash>'", image, StringComparison.Ordinal);
        bare = System.Text.RegularExpressions.Regex.Replace(bare, "--(name|label) [^ ]+ ", "");
        Exec("sh", ["-c", bare]);
        return bare;
    }

    /// <summary>The image an allowlist run of this sandbox image uses: the newest of its egress tags.</summary>
    private static string EgressImageOf(string image) =>
        Exec("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", $"reference={image}-egress-*"]).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0];

    /// <summary>The sandbox image of a project's last run, from its result.json.</summary>
    private static string ImageOf(string projectDirectory)
    {
        using var result = JsonDocument.Parse(File.ReadAllText(Directory.EnumerateFiles(Path.Combine(projectDirectory, "obj", "agent"), "result.json", SearchOption.AllDirectories).First()));
        return result.RootElement.GetProperty("image").GetString()!;
    }

    public static void NoOpImageStep(BenchSetup setup)
    {
        const string section = "2 no-op image step";
        foreach (var files in new[] { 0, 20_000 })
        {
            var project = setup.NewProject($"Image{files}");
            WriteFiles(Path.Combine(Path.GetDirectoryName(project)!, "src"), files);
            var command = Build(project, "AgentSandboxImage", setup.Properties()).Replace("-v:q", "-v:q -clp:PerformanceSummary");
            Exec("sh", ["-c", command]);
            var times = Enumerable.Range(0, 5).Select(_ => TaskMilliseconds(Exec("sh", ["-c", command]).Output, "BuildSandboxImage")).ToList();
            var median = Median(times);
            Add(new Row(section, Format($"AgentSandboxImage with the image present, project of {files:N0} files (inside the task, median of 5)"),
                Format($"{median:0} ms"), "≤ 100 ms", median <= 100));
            ContextBytes(Path.GetDirectoryName(project)!, files);
        }
    }

    /// <summary>A task's time in MSBuild's performance summary ("  12 ms  BuildSandboxImage  1 calls").</summary>
    private static double TaskMilliseconds(string output, string task) =>
        double.Parse(output.Split('\n').Select(line => line.Trim()).Last(line => line.EndsWith("calls", StringComparison.Ordinal) && line.Contains($" {task} ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], Invariant);

    private static void ContextBytes(string projectDirectory, int files)
    {
        var context = Path.Combine(projectDirectory, "obj", "agent", "context");
        var bytes = Directory.EnumerateFiles(context, "*", SearchOption.AllDirectories).Sum(file => new FileInfo(file).Length);
        var names = string.Join(", ", Directory.EnumerateFiles(context, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Add(new Row("4 build context", Format($"bytes sent as build context, project of {files:N0} files"), Format($"{bytes:N0} bytes ({names})"),
            "the generated files and CA certificates only", names.Split(", ").All(name => name is "Dockerfile" or "agentsandbox-ca.crt")));
    }

    public static void ImageSize(BenchSetup setup, string image)
    {
        const string section = "5 image size";
        var context = Directory.CreateTempSubdirectory("agentsandbox-bench-plain-").FullName;
        File.Copy(Path.Combine(setup.Repository, "bench", "images", "plain-recipe.Dockerfile"), Path.Combine(context, "Dockerfile"));
        File.Copy(Environment.GetEnvironmentVariable("NODE_EXTRA_CA_CERTS") ?? "/etc/ssl/certs/ca-certificates.crt", Path.Combine(context, "ca.crt"));
        var version = Exec("docker", ["run", "--rm", "--entrypoint", "claude", image, "--version"]).Output.Split(' ')[0].Trim();
        Exec("docker", ["build", "-q", "--network", "host", "--build-arg", $"BASE={setup.BaseImage}", "--build-arg", $"AGENT_PACKAGE=@anthropic-ai/claude-code@{version}", "-t", "agentsandbox-bench/plain-claude", context]);
        Directory.Delete(context, recursive: true);
        long Size(string name) => long.Parse(Exec("docker", ["image", "inspect", name, "-f", "{{.Size}}"]).Output.Trim(), Invariant);
        var (ours, plain, floor) = (Size(image), Size("agentsandbox-bench/plain-claude"), Size(setup.BaseImage));
        var proxied = Size(EgressImageOf(image));
        var binary = long.Parse(Exec("docker", ["run", "--rm", "--entrypoint", "sh", image, "-c", "stat -L -c %s \"$(command -v claude)\""]).Output.Trim(), Invariant);
        Add(new Row(section, "the plain recipe (base, apt tools and npm, npm install -g, a user)", Megabytes(plain)));
        Add(new Row(section, "ours (Claude Code, on the same base)", Format($"{Megabytes(ours)} ({(double)ours / plain:0.00}x the plain recipe; the base alone {Megabytes(floor)})"),
            "≤ 0.35x", (double)ours / plain <= 0.35));
        Add(new Row(section, "ours with the egress proxy's layer (AgentNetwork=allowlist)", Format($"{Megabytes(proxied)} ({(double)proxied / plain:0.00}x)"),
            "≤ 0.35x", (double)proxied / plain <= 0.35));
        // The agent's layers: its folder copied from the install stage (the image's one COPY of a folder) and the
        // layers after it, against the CLI's own binary.
        var layers = Exec("docker", ["history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", "-H=false", image]).Output.Split('\n')
            .Where(line => line.Contains("COPY dir:", StringComparison.Ordinal) || line.Contains("/opt/agentsandbox/agent", StringComparison.Ordinal))
            .Sum(line => long.Parse(line.Split('\t')[0], Invariant));
        Add(new Row(section, "the agent's layers against the agent's own executable", Format($"{Megabytes(layers)} against {Megabytes(binary)} ({(double)layers / binary:0.00}x)"),
            "no duplicate binaries", layers < binary * 1.1));
        var leftovers = Exec("docker", ["run", "--rm", "--entrypoint", "sh", image, "-c",
            "ls -d /root/.npm /home/*/.npm /var/lib/apt/lists/*_Packages /var/cache/apt/archives/*.deb /usr/lib/node_modules/npm /usr/share/nodejs/npm 2>/dev/null | wc -l"]).Output.Trim();
        Add(new Row(section, "npm caches, apt lists, downloaded packages, npm itself in the image", $"{leftovers} found", "none", leftovers == "0"));
    }

    /// <summary>What one changed input rebuilds: the image step's time after each change, and the steps the engine took from its cache.</summary>
    public static void Rebuilds(BenchSetup setup)
    {
        const string section = "6 rebuild after one change";
        var project = setup.NewProject("Rebuild");
        string Step(params (string, string)[] properties) => Build(project, "AgentSandboxImage", setup.Properties(properties)).Replace("-v:q", "-v:n");
        Exec("sh", ["-c", Step()]);
        void Measure(string change, string command)
        {
            // An image this machine built before (an earlier benchmark) is removed first, its layers with it unless
            // another image has them: what is timed is the build after the change, from the engine's cache.
            var before = Exec("sh", ["-c", command]).Output;
            var tag = System.Text.RegularExpressions.Regex.Match(before, "agentsandbox:[0-9a-f]{16}").Value;
            if (change != "nothing (the image exists)")
            {
                Exec("docker", ["image", "rm", tag]);
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var output = Exec("sh", ["-c", command]).Output;
            var cached = output.Split('\n').Count(line => line.Contains("Using cache", StringComparison.Ordinal));
            var steps = output.Split('\n').Count(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"Step \d+/\d+ : "));
            Add(new Row(section, change, Format($"{clock.Elapsed.TotalSeconds:0.0} s, {cached} of {steps} steps from the cache")));
        }
        Measure("nothing (the image exists)", Step());
        Measure("another build user (AgentUser=4321:4321)", Step(("AgentUser", "4321:4321")));
        File.WriteAllText(project, File.ReadAllText(project).Replace("<Target Name=\"Noop\" />", "<ItemGroup><AgentSystemPackage Include=\"jq\" /></ItemGroup><Target Name=\"Noop\" />", StringComparison.Ordinal));
        Measure("an added system package (jq)", Step());
        // Its install stage's layers stay in the engine's cache once built (they belong to no image): after an earlier
        // benchmark only the image's own layers are built again, the download is not.
        Measure("another agent version (AgentVersion=2.1.327)", Step(("AgentVersion", "2.1.327")));
    }

    /// <summary>Four projects of a solution with -m against one of them alone (AgentRunPerProject, the defaults otherwise).</summary>
    public static void Parallel(BenchSetup setup, int runs)
    {
        const string section = "7 parallel";
        var folder = Path.Combine(setup.Root, "Solution");
        var projects = Enumerable.Range(1, 4).Select(i => setup.NewProject($"P{i}", folder)).ToList();
        Exec("dotnet", ["new", "sln", "-o", folder, "-n", "Four"]);
        Exec("dotnet", ["sln", Directory.EnumerateFiles(folder, "Four.sl*").First(), "add", .. projects]);
        var solution = Directory.EnumerateFiles(folder, "Four.sl*").First();
        var one = Build(projects[0], "AgentRun", setup.Properties());
        var four = Build(solution, "AgentRun", setup.Properties(("AgentRunPerProject", "true"))) + " -m";
        // The floor: the same builds without AgentSandbox. Each project's target runs its dry run's bare docker run
        // (mount + host, as in section 1) through MSBuild's Exec, which yields its node while the container runs, as
        // our task does.
        Exec("sh", ["-c", one]);
        var image = ImageOf(Path.GetDirectoryName(projects[0])!);
        foreach (var project in projects)
        {
            var bare = System.Security.SecurityElement.Escape(BareDockerRun(setup, project, image) + " > /dev/null");
            File.WriteAllText(project, File.ReadAllText(project).Replace("<Target Name=\"Noop\" />",
                $"<Target Name=\"Noop\" /><Target Name=\"BareDockerRun\"><Exec Command=\"{bare}\" YieldDuringToolExecution=\"true\" /></Target>", StringComparison.Ordinal));
        }
        const string bareOne = "bare docker run, one project", bareFour = "bare docker run, four projects with -m";
        // MSBuild runs at most one request more than it has nodes at once, yielded ones included (three on two
        // nodes): the offset lets the fourth agent start with the others.
        const string offset = "four projects with -m and MSBUILDNODELIMITOFFSET=1";
        var rounds = HyperfineRounds([
            ("one project", one), ("four projects with -m", four), (offset, "MSBUILDNODELIMITOFFSET=1 " + four),
            (bareOne, Build(projects[0], "BareDockerRun", "")), (bareFour, Build(solution, "BareDockerRun", "") + " -m")], runs, folder);
        var medians = rounds.ToDictionary(command => command.Key, command => Median(command.Value));
        foreach (var name in new[] { "four projects with -m", offset })
        {
            var ratio = PairedMedian(rounds, seconds => seconds(name) / seconds("one project"));
            Add(new Row(section, $"{name} against one", Format($"{medians[name]:0.00} s against {medians["one project"]:0.00} s ({ratio:0.00}x, the median of {runs} rounds' ratios)"), "≤ 2x", ratio <= 2));
        }
        var floor = PairedMedian(rounds, seconds => seconds(bareFour) / seconds(bareOne));
        Add(new Row(section, "the floor: the same without AgentSandbox, an Exec of each project's bare docker run, four with -m against one",
            Format($"{medians[bareFour]:0.00} s against {medians[bareOne]:0.00} s ({floor:0.00}x, the median of {runs} rounds' ratios)")));
    }

    /// <summary>
    /// A solution's AgentReview over 1, 4 and 8 projects with -m:N (one agent per project, a custom reviewer that
    /// prints one finding), on the local engine and as pods of the cluster KUBECONFIG names.
    /// </summary>
    public static void FanOut(BenchSetup setup, int runs)
    {
        const string section = "10 fan-out";
        if (Environment.GetEnvironmentVariable("KUBECONFIG") is not { Length: > 0 })
        {
            Add(new Row(section, "AgentReview over 1, 4 and 8 projects", "not measured: KUBECONFIG names no cluster"));
            return;
        }
        var folder = Path.Combine(setup.Root, "FanOut");
        var projects = Enumerable.Range(1, 8).Select(i => setup.NewProject($"R{i}", folder)).ToList();
        int[] sizes = [1, 4, 8];
        var commands = new List<(string Name, string Command)>();
        foreach (var size in sizes)
        {
            Exec("dotnet", ["new", "sln", "-o", folder, "-n", $"Fan{size}"]);
            var solution = Directory.EnumerateFiles(folder, $"Fan{size}.sl*").First();
            Exec("dotnet", ["sln", solution, "add", .. projects.Take(size)]);
            foreach (var engine in new[] { "docker", "kubernetes" })
            {
                var properties = string.Join(' ', new[] { ("AgentBaseImage", setup.BaseImage), ("AgentBuildNetwork", "host"), ("AgentForce", "true"), ("AgentRunPerProject", "true"),
                    ("AgentEngine", engine), ("AgentKind", "custom"), ("AgentCommand", "sh;-c;echo FINDING warning Program.cs:1: the greeting is hard-coded") }
                    .Select(property => $"'-p:{property.Item1}={property.Item2.Replace(";", "%3B", StringComparison.Ordinal)}'"));
                commands.Add(($"{engine} {size}", Build(solution, "AgentReview", properties) + $" -m:{size}"));
            }
        }
        var medians = Hyperfine(commands, runs, folder);
        foreach (var size in sizes)
        {
            var (docker, cluster) = (medians[$"docker {size}"], medians[$"kubernetes {size}"]);
            Add(new Row(section, $"AgentReview over {size} project{(size == 1 ? "" : "s")} with -m:{size}, the local engine against pods",
                Format($"{docker:0.00} s against {cluster:0.00} s ({cluster / docker:0.00}x)")));
        }
    }
}
