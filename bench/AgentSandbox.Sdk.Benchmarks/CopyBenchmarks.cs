using System.Diagnostics;
using AgentSandbox.Docker;
using AgentSandbox.Project;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;
using static AgentSandbox.Sdk.Benchmarks.Bench;

namespace AgentSandbox.Sdk.Benchmarks;

/// <summary>
/// Copy mode on large workspaces, against the real engine: the tree packed, copied into a container and back out
/// (a listing and what changed), what changed found, and mount mode's two snapshots for comparison. The largest holds a node_modules of 50,000 small files.
/// </summary>
internal static class CopyBenchmarks
{
    public static async Task RunAsync(string image, IReadOnlyList<int> sizes)
    {
        const string section = "3 copy workspace";
        var engine = DockerEngine.Connect(null);
        foreach (var files in sizes)
        {
            var root = Directory.CreateTempSubdirectory("agentsandbox-bench-copy-").FullName;
            try
            {
                var modules = files >= 100_000 ? 50_000 : 0;
                var bytes = WriteFiles(Path.Combine(root, "src"), files - modules) + WriteFiles(Path.Combine(root, "node_modules"), modules, tiny: true);
                var clock = Stopwatch.StartNew();
                using var copy = WorkspaceCopy.Pack(root, HostUser.Current());
                var pack = clock.Elapsed;

                clock.Restart();
                var request = new ContainerRequest($"agentsandbox-bench-{Guid.NewGuid():N}", image, ["sh", "-c", "echo changed > /workspace/src/d0000/File000000.cs"],
                    new Dictionary<string, string>(), "/workspace", [], "none", new Dictionary<string, string> { ["org.agentsandbox.purpose"] = "bench" },
                    new ContainerLimits(true, true, 4096, true))
                {
                    // Where a run would put it: in memory unless the tree is too large for that.
                    Files = new ContainerFiles(copy.OpenTree, "/workspace", HostUser.Current(), SandboxLimits.Default.WorkspaceInMemory(copy.TreeBytes), copy.AdoptAsync)
                    {
                        ChangedOnly = copy.ChangedOnly,
                    },
                };
                await engine.RunContainerAsync(request, _ => { }, _ => { }, CancellationToken.None, CancellationToken.None);
                var container = clock.Elapsed;

                clock.Restart();
                var changes = copy.Changes();
                var detect = clock.Elapsed;

                // As a mount-mode run takes them, the agent's one change between: the second reads again only what
                // the kernel says may have changed.
                clock.Restart();
                var before = WorkspaceSnapshot.Take(root);
                var first = clock.Elapsed;
                File.AppendAllText(Path.Combine(root, "src", "d0000", "File000001.cs"), "// the agent's\n");
                clock.Restart();
                var after = WorkspaceSnapshot.Take(root, earlier: before);
                _ = before.ChangesTo(after);
                var second = clock.Elapsed;

                // Last, as a repository changes what the copy reads: the tree committed, one file changed since.
                var checkpoint = Checkpointed(root);

                var where = SandboxLimits.Default.WorkspaceInMemory(copy.TreeBytes) is null ? "on disk" : "in memory";
                var what = modules > 0 ? Format($"{files:N0} files ({modules:N0} of them in node_modules), {bytes / 1_000_000} MB") : Format($"{files:N0} files, {bytes / 1_000_000} MB");
                Add(new Row(section, $"{what}: pack", Seconds(pack.TotalSeconds)));
                Add(new Row(section, $"{what}: container with the tree copied in and back out ({where})", Seconds(container.TotalSeconds),
                    files == 20_000 ? "≤ 2 s" : "", files == 20_000 ? container.TotalSeconds <= 2 : null));
                Add(new Row(section, $"{what}: changed files found ({changes.Entries.Count})", Seconds(detect.TotalSeconds)));
                Add(new Row(section, $"{what}: mount mode's snapshot before the run", Seconds(first.TotalSeconds)));
                Add(new Row(section, $"{what}: mount mode's snapshot after it and comparison, one file changed ({after.FilesRead:N0} read again)", Seconds(second.TotalSeconds)));
                Add(new Row(section, $"{what}: mount mode's checkpoint, the tree a git repository with one file changed", Seconds(checkpoint.TotalSeconds)));
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static TimeSpan Checkpointed(string root)
    {
        foreach (var arguments in new[] { new[] { "init", "-q" }, ["add", "-A"], [.. GitCommand.AsAgentSandbox, "commit", "-q", "-m", "bench"] })
        {
            if (GitCommand.Run(root, arguments) is not { ExitCode: 0 })
            {
                throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed in {root}");
            }
        }
        File.AppendAllText(Path.Combine(root, "src", "d0000", "File000000.cs"), "// changed\n");
        var checkpoints = Directory.CreateTempSubdirectory("agentsandbox-bench-checkpoints-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            Checkpoint.Take(root, "bench", checkpoints);
            return clock.Elapsed;
        }
        finally
        {
            Directory.Delete(checkpoints, recursive: true);
        }
    }
}
