using System.Diagnostics;
using System.Globalization;
using AgentSandbox.Docker;
using AgentSandbox.Project;
using AgentSandbox.Workspace;

// What copy mode costs on a large workspace, against a real engine: the tree packed, copied into a container and back
// out, compared with what went in, and the mount mode's snapshots for comparison. Prints figures; asserts nothing.
//   dotnet run -c Release --project bench/AgentSandbox.Sdk.Benchmarks -- [files=20000] [image=agentsandbox-test/bookworm:latest] [runs=3]
var files = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
var image = args.Length > 1 ? args[1] : "agentsandbox-test/bookworm:latest";
var runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;

var root = Directory.CreateTempSubdirectory("agentsandbox-bench-").FullName;
try
{
    // Source-like files: 100 folders of files of 4–12 KB.
    var random = new Random(20000);
    long bytes = 0;
    for (var i = 0; i < files; i++)
    {
        var folder = Path.Combine(root, "src", $"d{i % 100:D3}");
        Directory.CreateDirectory(folder);
        var text = string.Concat(Enumerable.Repeat($"// line {i} of generated source code\n", random.Next(100, 300)));
        File.WriteAllText(Path.Combine(folder, $"File{i:D5}.cs"), text);
        bytes += text.Length;
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"workspace: {files} files, {bytes / 1_048_576.0:0} MB; engine image {image}; {runs} runs each"));

    using var engine = DockerEngine.Connect(null);
    var user = HostUser.Current();
    for (var run = 1; run <= runs; run++)
    {
        var clock = Stopwatch.StartNew();
        using var copy = WorkspaceCopy.Pack(root, user);
        var pack = clock.Elapsed;

        clock.Restart();
        var request = new ContainerRequest($"agentsandbox-bench-{Guid.NewGuid():N}", image, ["sh", "-c", "echo changed > /workspace/src/d000/File00000.cs"],
            new Dictionary<string, string>(), "/workspace", [], "none", new Dictionary<string, string> { ["org.agentsandbox.purpose"] = "bench" },
            new ContainerLimits(true, true, 4096, true))
        {
            Files = new ContainerFiles(copy.OpenTree, "/workspace", copy.AdoptAsync),
        };
        var exit = await engine.RunContainerAsync(request, _ => { }, _ => { }, CancellationToken.None, CancellationToken.None);
        var container = clock.Elapsed;

        clock.Restart();
        var changes = copy.Changes();
        var compare = clock.Elapsed;

        clock.Restart();
        var before = WorkspaceSnapshot.Take(root);
        var after = WorkspaceSnapshot.Take(root);
        _ = before.ChangesTo(after);
        var snapshots = clock.Elapsed;

        clock.Restart();
        var bare = Process.Start(new ProcessStartInfo("docker", ["run", "--rm", "--network", "none", "-v", $"{root}:/workspace", image, "true"]) { RedirectStandardOutput = true })!;
        await bare.WaitForExitAsync();
        var mounted = clock.Elapsed;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run {run}: pack {pack.TotalSeconds:0.00} s; container with copy in and out {container.TotalSeconds:0.00} s (exit {exit}); compare {compare.TotalSeconds:0.00} s ({changes.Entries.Count} change); " +
            $"mount mode's two snapshots {snapshots.TotalSeconds:0.00} s; bare docker run with a mount {mounted.TotalSeconds:0.00} s"));
    }
}
finally
{
    Directory.Delete(root, recursive: true);
}
