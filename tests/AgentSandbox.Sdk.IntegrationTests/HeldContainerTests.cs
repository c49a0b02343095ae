using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Project;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// Copy mode's container against the real engine: held open while the tree goes in through the image's tar, the
/// command run as the files' owner, and the tree back out, in memory or on disk.
/// </summary>
public sealed class HeldContainerTests
{
    private static readonly HostUser Owner = new(1000, 1000);

    /// <summary>The base image with /workspace its owner's, as every sandbox image has it; kept like the base image.</summary>
    private static readonly Lazy<string> Image = new(() =>
    {
        const string image = "agentsandbox-test/held-workspace:latest";
        var maker = $"agentsandbox-test-held-{Guid.NewGuid():N}";
        Assert.Equal(0, Shell.Run("docker", "run", "--name", maker, TestDocker.BaseImage, "sh", "-c", "mkdir /workspace && chown 1000:1000 /workspace").ExitCode);
        try
        {
            Assert.Equal(0, Shell.Run("docker", "commit", maker, image).ExitCode);
        }
        finally
        {
            Shell.Run("docker", "rm", "-f", maker);
        }
        return image;
    });

    [DockerFact]
    public async Task A_small_tree_is_in_memory_a_large_one_on_disk_and_both_come_back_with_the_commands_change()
    {
        foreach (var (memory, kind) in new[] { ((long?)64 * 1024 * 1024, "tmpfs"), (null, "overlayfs") })
        {
            var (exit, lines, tree) = await RunAsync(["sh", "-c", "stat -f -c %T /workspace; id -u; echo changed > /workspace/a.txt"], memory);

            Assert.Equal(0, exit.Code);
            Assert.Equal([kind, "1000"], lines);
            Assert.Equal("changed\n", tree["workspace/a.txt"]);
            Assert.Equal("kept\n", tree["workspace/src/b.txt"]);
        }
    }

    [DockerFact]
    public async Task Changed_only_brings_a_listing_of_the_whole_tree_and_only_the_entries_whose_status_changed()
    {
        var (exit, _, tree) = await RunAsync(["sh", "-c", "echo changed > /workspace/a.txt; mkdir /workspace/new; ln -s ../a.txt /workspace/new/link"], 64 * 1024 * 1024, changedOnly: true);

        Assert.Equal(0, exit.Code);
        Assert.Equal(HeldContainer.ListingEntry, tree.GetAt(0).Key);
        Assert.Equal(["workspace/", "workspace/a.txt", "workspace/new/", "workspace/new/link"], tree.Keys.Skip(1).Order(StringComparer.Ordinal));
        Assert.Equal("changed\n", tree["workspace/a.txt"]);
        Assert.Equal(["d workspace", "d workspace/new", "d workspace/src", "f workspace/a.txt", "f workspace/src/b.txt", "l workspace/new/link"],
            tree[HeldContainer.ListingEntry].Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [DockerFact]
    public async Task The_files_of_a_renamed_folder_come_back_though_their_own_status_did_not_change()
    {
        var (exit, _, tree) = await RunAsync(["mv", "/workspace/src", "/workspace/lib"], 64 * 1024 * 1024, changedOnly: true);

        Assert.Equal(0, exit.Code);
        Assert.Equal(["workspace/", "workspace/lib/", "workspace/lib/b.txt"], tree.Keys.Skip(1).Order(StringComparer.Ordinal));
        Assert.Equal("kept\n", tree["workspace/lib/b.txt"]);
    }

    [DockerFact]
    public async Task A_process_the_command_leaves_behind_ends_with_it_instead_of_holding_the_run_open()
    {
        var clock = Stopwatch.StartNew();

        var (exit, _, tree) = await RunAsync(["sh", "-c", "(sleep 3; echo late > /workspace/a.txt) & sleep 300 & echo changed > /workspace/a.txt"], 64 * 1024 * 1024);

        Assert.Equal(0, exit.Code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the run took {clock.Elapsed.TotalSeconds:0} s");
        Assert.Equal("changed\n", tree["workspace/a.txt"]);
    }

    [DockerFact]
    public async Task At_the_stop_the_container_is_killed_from_outside_and_nothing_comes_back()
    {
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        // A command that ignores what it can: the stop does not depend on anything inside the container.
        var (exit, lines, tree) = await RunAsync(["sh", "-c", "trap '' TERM INT HUP; echo partial > /workspace/a.txt; echo started; sleep 300"], 64 * 1024 * 1024,
            line => { if (line == "started") { stop.Cancel(); } }, stop.Token);

        Assert.Equal(["started"], lines);
        Assert.Equal(137, exit.Code);
        Assert.False(exit.OutOfMemory);
        Assert.Empty(tree);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the run took {clock.Elapsed.TotalSeconds:0} s");
    }

    [DockerFact]
    public async Task An_image_without_tar_is_AGS4025_and_leaves_no_container()
    {
        var image = $"agentsandbox-test/no-tar:{Guid.NewGuid():N}";
        var maker = $"agentsandbox-test-no-tar-{Guid.NewGuid():N}";
        Assert.Equal(0, Shell.Run("docker", "run", "--name", maker, Image.Value, "rm", "/usr/bin/tar").ExitCode);
        try
        {
            Assert.Equal(0, Shell.Run("docker", "commit", maker, image).ExitCode);

            var error = await Assert.ThrowsAsync<AgentSandboxException>(() => RunAsync(["true"], 64 * 1024 * 1024, image: image));

            Assert.Equal("AGS4025", error.Code);
            Assert.Contains("copied into the sandbox", error.Message);
            Assert.Equal("", Shell.Run("docker", "ps", "-aq", "--filter", $"ancestor={image}").Output.Trim());
        }
        finally
        {
            Shell.Run("docker", "rm", "-f", maker);
            Shell.Run("docker", "rmi", "-f", image);
        }
    }

    private static async Task<(ContainerExit Exit, List<string> Lines, OrderedDictionary<string, string> Tree)> RunAsync(
        IReadOnlyList<string> command, long? memoryBytes, Action<string>? onLine = null, CancellationToken stop = default, string? image = null, bool changedOnly = false)
    {
        var engine = DockerEngine.Connect(null);
        // In the order the tar sends them.
        var tree = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        var request = new ContainerRequest($"agentsandbox-held-test-{Guid.NewGuid():N}", image ?? Image.Value, command, new Dictionary<string, string>(),
            "/workspace", [], "none", new Dictionary<string, string> { ["org.agentsandbox.purpose"] = "held-test" }, new ContainerLimits(true, true, 256, true, 256L * 1024 * 1024))
        {
            Files = new ContainerFiles(() => Tree(("workspace/a.txt", "original\n"), ("workspace/src/b.txt", "kept\n")), "/workspace", Owner, memoryBytes,
                async (stream, token) =>
                {
                    using var reader = new TarReader(stream);
                    while (await reader.GetNextEntryAsync(copyData: false, token) is { } entry)
                    {
                        tree[entry.Name] = entry.DataStream is { } data ? await new StreamReader(data).ReadToEndAsync(token) : entry.LinkName;
                    }
                })
            {
                ChangedOnly = changedOnly,
            },
        };
        var lines = new List<string>();
        var exit = await engine.RunContainerAsync(request, line => { lines.Add(line); onLine?.Invoke(line); }, lines.Add, stop, CancellationToken.None);
        Assert.Equal("", Shell.Run("docker", "ps", "-aq", "--filter", $"name={request.Name}").Output.Trim());
        return (exit, lines, tree);
    }

    private static MemoryStream Tree(params (string Name, string Text)[] files)
    {
        var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var folder in new[] { "workspace/", "workspace/src/" })
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, folder) { Uid = 1000, Gid = 1000, Mode = (UnixFileMode)0b111_101_101 });
            }
            foreach (var (name, text) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Uid = 1000, Gid = 1000, Mode = (UnixFileMode)0b110_100_100, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
            }
        }
        archive.Position = 0;
        return archive;
    }
}
