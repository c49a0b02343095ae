using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>What changed in the project between two snapshots, judged by content.</summary>
public sealed class WorkspaceSnapshotTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    // As a run takes them: the second snapshot from the first, so every case here checks what it reads again too.
    private IReadOnlyList<ChangedFile> ChangesDuring(Action change)
    {
        var before = WorkspaceSnapshot.Take(_temp.Path);
        change();
        return before.ChangesTo(WorkspaceSnapshot.Take(_temp.Path, earlier: before));
    }

    [Fact]
    public void Nothing_done_is_no_change()
    {
        _temp.Write("Program.cs", "Console.WriteLine();");

        Assert.Empty(ChangesDuring(() => { }));
    }

    [Fact]
    public void Edit_that_keeps_the_size_is_a_modification()
    {
        _temp.Write("Program.cs", "Hello, World!");

        var changes = ChangesDuring(() => _temp.Write("Program.cs", "Hello, Agent!"));

        Assert.Equal([new ChangedFile("Program.cs", FileChange.Modified)], changes);
    }

    [Fact]
    public void Edit_that_keeps_the_size_and_the_timestamp_is_a_modification()
    {
        var path = _temp.Write("Program.cs", "Hello, World!");
        var stamp = File.GetLastWriteTimeUtc(path);

        var changes = ChangesDuring(() =>
        {
            File.WriteAllText(path, "Hello, Agent!");
            File.SetLastWriteTimeUtc(path, stamp);
        });

        Assert.Equal([new ChangedFile("Program.cs", FileChange.Modified)], changes);
    }

    [Fact]
    public void Rewrite_with_the_same_content_and_a_new_timestamp_is_no_change()
    {
        var path = _temp.Write("Program.cs", "same");

        var changes = ChangesDuring(() =>
        {
            File.WriteAllText(path, "same");
            File.SetLastWriteTimeUtc(path, new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        });

        Assert.Empty(changes);
    }

    [Fact]
    public void A_tree_large_enough_to_be_hashed_on_every_core_finds_each_change_and_nothing_else()
    {
        for (var i = 0; i < 600; i++)
        {
            _temp.Write($"src/d{i / 100}/File{i}.cs", $"// file {i}\n");
        }

        var changes = ChangesDuring(() =>
        {
            _temp.Write("src/d0/File7.cs", "// FILE 7\n");
            _temp.Write("src/d5/File599.cs", "// changed 599\n");
            File.Delete(_temp.Combine("src/d3/File300.cs"));
            _temp.Write("src/d6/New.cs", "new\n");
        });

        Assert.Equal(
            [
                new ChangedFile("src/d0/File7.cs", FileChange.Modified),
                new ChangedFile("src/d3/File300.cs", FileChange.Deleted),
                new ChangedFile("src/d5/File599.cs", FileChange.Modified),
                new ChangedFile("src/d6/New.cs", FileChange.Added),
            ], changes);
        Assert.Equal(600, WorkspaceSnapshot.Take(_temp.Path).FileCount);
    }

    [Fact]
    public void A_snapshot_after_another_reads_again_only_the_files_whose_stamp_changed()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // No change times there: every file is read, as the other tests show.
        }
        for (var i = 0; i < 300; i++)
        {
            _temp.Write($"src/File{i}.cs", $"// file {i}\n");
        }
        var edited = _temp.Combine("src/File7.cs");
        var before = WorkspaceSnapshot.Take(_temp.Path);
        Assert.Equal(300, before.FilesRead);
        // Where change times cannot be trusted (a filesystem that makes them up), every file is read.
        var reused = AgentSandbox.Common.FileStamp.KeepsChangeTimes(_temp.Path);

        var untouched = WorkspaceSnapshot.Take(_temp.Path, earlier: before);
        Assert.Equal(reused ? 0 : 300, untouched.FilesRead);
        Assert.Empty(before.ChangesTo(untouched));

        // The same size and, to the nanosecond, the same modification time: only the change time, which no process can
        // set back, tells.
        RewriteKeepingTimes(edited, "// FILE 7\n");
        var edit = WorkspaceSnapshot.Take(_temp.Path, earlier: untouched);
        Assert.Equal(reused ? 1 : 300, edit.FilesRead);
        Assert.Equal([new ChangedFile("src/File7.cs", FileChange.Modified)], before.ChangesTo(edit));

        // A new mode alone is read again too, and is no change of content.
        File.SetUnixFileMode(edited, File.GetUnixFileMode(edited) | UnixFileMode.UserExecute);
        var chmod = WorkspaceSnapshot.Take(_temp.Path, earlier: edit);
        Assert.Equal(reused ? 1 : 300, chmod.FilesRead);
        Assert.Empty(edit.ChangesTo(chmod));
    }

    [Fact]
    public void A_file_replaced_by_another_of_the_same_size_and_time_is_read_again()
    {
        var path = _temp.Write("Program.cs", "Hello, World!");
        var written = File.GetLastWriteTimeUtc(path);

        var changes = ChangesDuring(() =>
        {
            var other = _temp.Write("Other.tmp", "Hello, Agent!");
            File.SetLastWriteTimeUtc(other, written);
            File.Move(other, path, overwrite: true);
        });

        Assert.Equal([new ChangedFile("Program.cs", FileChange.Modified)], changes);
    }

    [Fact]
    public void New_file_is_added()
    {
        _temp.Write("a.cs", "a");

        Assert.Equal([new ChangedFile("b.cs", FileChange.Added)], ChangesDuring(() => _temp.Write("b.cs", "b")));
    }

    [Fact]
    public void Removed_file_is_deleted()
    {
        var path = _temp.Write("old.cs", "old");

        Assert.Equal([new ChangedFile("old.cs", FileChange.Deleted)], ChangesDuring(() => File.Delete(path)));
    }

    [Fact]
    public void Renamed_file_is_a_deletion_and_an_addition()
    {
        var path = _temp.Write("Old.cs", "class C {}");

        var changes = ChangesDuring(() => File.Move(path, _temp.Combine("New.cs")));

        Assert.Equal([new ChangedFile("New.cs", FileChange.Added), new ChangedFile("Old.cs", FileChange.Deleted)], changes);
    }

    [Fact]
    public void Empty_file_created_is_added()
    {
        Assert.Equal([new ChangedFile("empty.txt", FileChange.Added)], ChangesDuring(() => _temp.Write("empty.txt", "")));
    }

    [Fact]
    public void Nested_paths_are_relative_with_forward_slashes()
    {
        _temp.Write("src/App/Services/Greeter.cs", "v1");

        var changes = ChangesDuring(() =>
        {
            _temp.Write("src/App/Services/Greeter.cs", "v2");
            _temp.Write("tests/App.Tests/GreeterTests.cs", "new");
        });

        Assert.Equal(
            [new ChangedFile("src/App/Services/Greeter.cs", FileChange.Modified), new ChangedFile("tests/App.Tests/GreeterTests.cs", FileChange.Added)],
            changes);
    }

    [Theory]
    [InlineData("bin/Debug/net8.0/App.dll")]
    [InlineData("obj/project.assets.json")]
    [InlineData(".git/index")]
    [InlineData(".vs/App/v17/.suo")]
    [InlineData("src/App/bin/Release/App.dll")]
    [InlineData("src/App/obj/project.assets.json")]
    public void Build_output_and_tool_state_are_ignored(string path)
    {
        _temp.Write("Program.cs", "x");

        Assert.Empty(ChangesDuring(() => _temp.Write(path, "churn")));
    }

    [Theory]
    [InlineData("obj/App.csproj.nuget.g.props")]
    [InlineData("src/App/obj/App.csproj.nuget.g.targets")]
    public void Props_and_targets_in_obj_are_tracked_because_the_next_host_build_imports_them(string path)
    {
        _temp.Write(path, "<Project />");

        Assert.Equal([new ChangedFile(path, FileChange.Modified)], ChangesDuring(() => _temp.Write(path, "<Project><Exec Command=\"evil\" /></Project>")));
    }

    [Fact]
    public void Ignored_directories_are_not_even_counted()
    {
        _temp.Write("Program.cs", "x");
        _temp.Write("bin/a.dll", "x");
        _temp.Write("obj/b.json", "x");
        _temp.Write(".git/HEAD", "ref: refs/heads/main");

        Assert.Equal(1, WorkspaceSnapshot.Take(_temp.Path).FileCount);
    }

    [Fact]
    public void Files_merely_named_like_ignored_directories_are_tracked()
    {
        Assert.Equal([new ChangedFile("bin", FileChange.Added), new ChangedFile("src/obj.cs", FileChange.Added)],
            ChangesDuring(() =>
            {
                _temp.Write("bin", "a file called bin");
                _temp.Write("src/obj.cs", "class obj {}");
            }));
    }

    [Fact]
    public void Changes_are_sorted_by_path_ordinally()
    {
        _temp.Write("m.cs", "m");
        _temp.Write("Z/z.cs", "z");

        var changes = ChangesDuring(() =>
        {
            _temp.Write("m.cs", "changed");
            File.Delete(_temp.Combine("Z/z.cs"));
            _temp.Write("a/b.cs", "b");
            _temp.Write("B.cs", "B");
            _temp.Write("zz.cs", "zz");
        });

        Assert.Equal(["B.cs", "Z/z.cs", "a/b.cs", "m.cs", "zz.cs"], changes.Select(c => c.Path));
        Assert.Equal([FileChange.Added, FileChange.Deleted, FileChange.Added, FileChange.Modified, FileChange.Added], changes.Select(c => c.Change));
    }

    [Fact]
    public void Symbolic_links_are_changes_of_their_own_and_are_not_followed()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Creating links needs a privilege on Windows.
        }
        using var outside = new TempDirectory();
        outside.Write("secret.txt", "outside the project");
        _temp.Write("Program.cs", "x");

        var changes = ChangesDuring(() =>
        {
            Directory.CreateSymbolicLink(_temp.Combine("linked-dir"), outside.Path);
            File.CreateSymbolicLink(_temp.Combine("linked-file.txt"), outside.Combine("secret.txt"));
        });

        // The links themselves, not what lies behind them (linked-dir/secret.txt).
        Assert.Equal(["linked-dir:Added", "linked-file.txt:Added"], changes.Select(change => $"{change.Path}:{change.Change}"));
    }

    [Fact]
    public void Git_metadata_is_found_at_any_depth_and_what_appears_is_new()
    {
        _temp.Write(".git/HEAD", "ref: refs/heads/main");
        _temp.Write("vendor/lib/.git", "gitdir: ../../.git/modules/lib");
        var before = WorkspaceSnapshot.Take(_temp.Path);

        _temp.Write("src/.git/config", "[core]\n\tfsmonitor = evil");
        // Changed where it is: only the host can (the sandbox mounts it read-only), so it stays the user's.
        _temp.Write(".git/HEAD", "ref: refs/heads/feature");
        var after = WorkspaceSnapshot.Take(_temp.Path);

        Assert.Equal([".git", "vendor/lib/.git"], before.GitEntries.Order(StringComparer.Ordinal));
        Assert.Equal(["src/.git"], before.NewGitEntries(after));
        Assert.Empty(before.ChangesTo(after));
    }

    [Fact]
    public void Build_output_changes_are_counted_by_size_and_time_without_being_reported_as_changes()
    {
        _temp.Write("bin/Debug/App.dll", "old");
        _temp.Write("obj/Debug/App.dll", "old");
        var before = WorkspaceSnapshot.Take(_temp.Path);

        _temp.Write("obj/Debug/App.dll", "planted, and longer");
        _temp.Write("bin/Debug/Extra.dll", "new");
        File.Delete(_temp.Combine("bin/Debug/App.dll"));
        var after = WorkspaceSnapshot.Take(_temp.Path);

        Assert.Equal(3, before.BuildOutputChanges(after));
        Assert.Empty(before.ChangesTo(after));
        Assert.Equal(0, after.BuildOutputChanges(WorkspaceSnapshot.Take(_temp.Path)));
    }

    [Fact]
    public void Build_output_rewritten_with_its_size_and_times_put_back_is_counted_where_change_times_are_kept()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // No change times there: size and time alone, as the test above shows.
        }
        var dll = _temp.Write("obj/Debug/App.dll", "original");
        var before = WorkspaceSnapshot.Take(_temp.Path);

        RewriteKeepingTimes(dll, "patched!");

        Assert.Equal(AgentSandbox.Common.FileStamp.KeepsChangeTimes(_temp.Path) ? 1 : 0, before.BuildOutputChanges(WorkspaceSnapshot.Take(_temp.Path)));
    }

    [Fact]
    public void A_repository_moved_with_its_parent_is_the_users_and_what_appears_at_its_old_place_is_new()
    {
        _temp.Write("libs/foo/.git/HEAD", "ref: refs/heads/main");
        _temp.Write("libs/foo/.git/config", "[core]\n\tbare = false");
        var before = WorkspaceSnapshot.Take(_temp.Path);

        Directory.Move(_temp.Combine("libs/foo"), _temp.Combine("libs/bar"));
        _temp.Write("libs/foo/.git/config", "[core]\n\tfsmonitor = evil");

        Assert.Equal(["libs/foo/.git"], before.NewGitEntries(WorkspaceSnapshot.Take(_temp.Path)));
    }

    [Fact]
    public void Quarantine_renames_a_planted_link_without_touching_what_it_points_at()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes show whether the target was touched.
        }
        var outside = Directory.CreateTempSubdirectory("agentsandbox-outside-");
        try
        {
            File.WriteAllText(Path.Combine(outside.FullName, "data.txt"), "keep");
            File.SetUnixFileMode(Path.Combine(outside.FullName, "data.txt"), UnixFileMode.UserRead);
            var before = WorkspaceSnapshot.Take(_temp.Path);
            Directory.CreateDirectory(_temp.Combine("sub"));
            Directory.CreateSymbolicLink(_temp.Combine("sub/.git"), outside.FullName);

            var entry = Assert.Single(before.NewGitEntries(WorkspaceSnapshot.Take(_temp.Path)));
            var outcome = GitQuarantine.Rename(_temp.Path, entry);

            Assert.Equal("sub/.git (renamed to .git.quarantined-by-agentsandbox)", outcome);
            Assert.False(Path.Exists(_temp.Combine("sub/.git")));
            Assert.Equal(outside.FullName, new FileInfo(_temp.Combine("sub/.git.quarantined-by-agentsandbox")).LinkTarget);
            Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Path.Combine(outside.FullName, "data.txt")));
            Assert.Equal("keep", File.ReadAllText(Path.Combine(outside.FullName, "data.txt")));
            Assert.DoesNotContain("sub/.git", WorkspaceSnapshot.Take(_temp.Path).GitEntries);
        }
        finally
        {
            File.SetUnixFileMode(Path.Combine(outside.FullName, "data.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            outside.Delete(recursive: true);
        }
    }

    [Fact]
    public void Quarantine_keeps_an_earlier_quarantine_and_says_when_it_cannot_rename()
    {
        _temp.Write("a/.git.quarantined-by-agentsandbox/config", "earlier");
        _temp.Write("a/.git/config", "planted");

        Assert.Equal("a/.git (renamed to .git.quarantined-by-agentsandbox-2)", GitQuarantine.Rename(_temp.Path, "a/.git"));
        Assert.Equal("earlier", File.ReadAllText(_temp.Combine("a/.git.quarantined-by-agentsandbox/config")));
        Assert.StartsWith("gone/.git (could not be renamed: ", GitQuarantine.Rename(_temp.Path, "gone/.git"));
    }

    [Fact]
    public async Task A_named_pipe_is_not_opened()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // No mkfifo.
        }
        _temp.Write("Program.cs", "x");
        Assert.Equal(0, Shell("mkfifo", _temp.Combine("pipe")));

        var snapshot = Task.Run(() => WorkspaceSnapshot.Take(_temp.Path));

        Assert.Same(snapshot, await Task.WhenAny(snapshot, Task.Delay(TimeSpan.FromSeconds(10))));
    }

    /// <summary>Writes <paramref name="text"/> to a file and puts its times back to the nanosecond (touch -r, as an agent would).</summary>
    private void RewriteKeepingTimes(string path, string text)
    {
        var reference = _temp.Combine("times-reference");
        Assert.Equal(0, Shell("touch", "-r", path, reference));
        File.WriteAllText(path, text);
        Assert.Equal(0, Shell("touch", "-r", reference, path));
        File.Delete(reference);
    }

    private static int Shell(string command, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(command, arguments);
        process.WaitForExit();
        return process.ExitCode;
    }
}
