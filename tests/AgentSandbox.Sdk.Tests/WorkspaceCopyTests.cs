using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Copy mode's pieces: the tree copied in, the changeset taken back, the check, the apply and the patch.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WorkspaceCopyTests : IDisposable
{
    private static readonly string[] Protected = ["**/*.csproj", "**/*.props", "**/*.targets", "**/nuget.config", "**/.github/**"];

    private readonly TempDirectory _temp = new();

    public WorkspaceCopyTests()
    {
        _temp.Write("Program.cs", "Console.WriteLine(\"Hello\");\n");
        _temp.Write("src/Lib.cs", "class Lib {}\n");
        _temp.Write("App.csproj", "<Project />\n");
        _temp.Write("bin/Debug/App.dll", "binary");
        _temp.Write("obj/project.assets.json", "{}");
        _temp.Write(".git/config", "[core]\n");
        _temp.Write(".vs/state", "ide");
        _temp.Write(".editorconfig", "root = true\n");
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Copies the workspace in, lets the "container" act on its copy, and takes the changes back.</summary>
    private (WorkspaceCopy Copy, Changeset Changes) Agent(Action<string> effect)
    {
        var copy = WorkspaceCopy.Pack(_temp.Path, new HostUser(1000, 1000));
        ContainerTree.Run(copy.OpenTree, effect, copy.AdoptAsync, copy.ChangedOnly);
        return (copy, copy.Changes());
    }

    [Fact]
    public void The_copy_holds_the_tree_but_no_git_metadata_tool_state_or_build_output()
    {
        using var copy = WorkspaceCopy.Pack(_temp.Path, new HostUser(1000, 1000));

        Assert.Equal([".editorconfig", "App.csproj", "Program.cs", "src/Lib.cs"], copy.Before.Keys.Order(StringComparer.Ordinal));
        using var tar = new System.Formats.Tar.TarReader(copy.OpenTree());
        var first = tar.GetNextEntry()!;
        Assert.Equal("workspace/", first.Name);
        Assert.Equal((1000, 1000), (first.Uid, first.Gid));
    }

    [Fact]
    public void An_untouched_copy_has_no_changes()
    {
        var (copy, changes) = Agent(_ => { });
        using (copy)
        {
            Assert.True(changes.IsEmpty);
        }
    }

    [Fact]
    public void Added_modified_deleted_files_links_and_the_executable_bit_come_back_as_changes()
    {
        var (copy, changes) = Agent(workspace =>
        {
            File.WriteAllText(Path.Combine(workspace, "Program.cs"), "changed\n");
            File.Delete(Path.Combine(workspace, "src", "Lib.cs"));
            File.WriteAllText(Path.Combine(workspace, "New.cs"), "new\n");
            File.SetUnixFileMode(Path.Combine(workspace, ".editorconfig"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.CreateSymbolicLink(Path.Combine(workspace, "link.cs"), "New.cs");
            // Build output, tool state and git metadata the agent makes inside folders that are never taken back.
            Directory.CreateDirectory(Path.Combine(workspace, "obj"));
            File.WriteAllText(Path.Combine(workspace, "obj", "planted.dll"), "x");
        });
        using (copy)
        {
            Assert.Equal(
                [".editorconfig:Modified", "New.cs:Added", "Program.cs:Modified", "link.cs:Added", "src/Lib.cs:Deleted"],
                changes.Entries.Select(entry => $"{entry.Path}:{entry.Change}").Order(StringComparer.Ordinal));
            Assert.True(changes.Entries.Single(entry => entry.Path == ".editorconfig").Executable);
            Assert.Equal("New.cs", changes.Entries.Single(entry => entry.Path == "link.cs").LinkTarget);
        }
    }

    [Fact]
    public void Only_what_changed_comes_back_and_the_next_container_gets_the_whole_tree_with_it()
    {
        var (copy, changes) = Agent(workspace =>
        {
            File.WriteAllText(Path.Combine(workspace, "Program.cs"), "changed\n");
            File.Delete(Path.Combine(workspace, "src", "Lib.cs"));
            Directory.CreateDirectory(Path.Combine(workspace, "src", "deep"));
            File.WriteAllText(Path.Combine(workspace, "src", "deep", "New.cs"), "new\n");
        });
        using (copy)
        {
            Assert.False(copy.ChangedOnly);
            Assert.Equal(["Program.cs:Modified", "src/Lib.cs:Deleted", "src/deep/New.cs:Added"], changes.Entries.Select(entry => $"{entry.Path}:{entry.Change}"));

            using var tree = new System.Formats.Tar.TarReader(copy.OpenTree());
            var entries = new Dictionary<string, string>();
            while (tree.GetNextEntry() is { } entry)
            {
                entries[entry.Name.TrimEnd('/')] = entry.DataStream is { } data ? new StreamReader(data).ReadToEnd() : "";
            }
            Assert.Equal(["workspace", "workspace/.editorconfig", "workspace/App.csproj", "workspace/Program.cs", "workspace/src", "workspace/src/deep", "workspace/src/deep/New.cs"],
                entries.Keys.Order(StringComparer.Ordinal));
            Assert.Equal("changed\n", entries["workspace/Program.cs"]);
            Assert.Equal("root = true\n", entries["workspace/.editorconfig"]);
            // Merged into the whole tree, the same changes compared from it.
            Assert.Equal(["Program.cs:Modified", "src/Lib.cs:Deleted", "src/deep/New.cs:Added"], copy.Changes().Entries.Select(entry => $"{entry.Path}:{entry.Change}"));
        }
    }

    [Fact]
    public async Task An_answer_that_lists_an_entry_it_neither_had_nor_sends_is_no_tree()
    {
        using var copy = WorkspaceCopy.Pack(_temp.Path, new HostUser(1000, 1000));
        using var answer = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(answer, leaveOpen: true))
        {
            var listing = "d workspace\0f workspace/Program.cs\0f workspace/moved/Lib.cs\0";
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, Docker.HeldContainer.ListingEntry)
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(listing)),
            });
        }
        answer.Position = 0;

        await copy.AdoptAsync(answer, CancellationToken.None);

        Assert.Contains("moved/Lib.cs", Assert.Throws<WorkspaceNotReturnedException>(() => copy.Changes()).Message);
    }

    [Fact]
    public void New_files_the_repository_ignores_are_output_and_do_not_come_back()
    {
        Directory.Delete(_temp.Combine(".git"), recursive: true);
        Assert.Equal(0, Git("init", "-q"));
        _temp.Write(".gitignore", "*.log\nnode_modules/\n");

        var (copy, changes) = Agent(workspace =>
        {
            TempDirectory.WriteIn(workspace, "debug.log", "noise\n");
            TempDirectory.WriteIn(workspace, "node_modules/left-pad/index.js", "module.exports = 1;\n");
            TempDirectory.WriteIn(workspace, "New.cs", "class New {}\n");
        });
        using (copy)
        {
            Assert.Equal(["New.cs"], changes.Entries.Select(entry => entry.Path));
        }
    }

    [Theory]
    [InlineData("Directory.Build.props", "Protected")]
    [InlineData("sub/App.csproj", "Protected")]
    [InlineData("NUGET.CONFIG", "Protected")]
    [InlineData(".github/workflows/ci.yml", "Protected")]
    [InlineData("tools/.git/config", "GitMetadata")]
    [InlineData("tab\tname.cs", "Name")]
    [InlineData("Directory.Build.props.", "Name")]
    [InlineData("trailing /x.cs", "Name")]
    [InlineData("CON", "Name")]
    [InlineData("src/nul.txt", "Name")]
    [InlineData("a:b.txt", "Name")]
    [InlineData("back\\slash.cs", "Name")]
    public void The_check_refuses_what_the_host_would_run_obey_or_mangle(string path, string kind)
    {
        var (copy, changes) = Agent(workspace => TempDirectory.WriteIn(workspace, path, "x\n"));
        using (copy)
        {
            var refusal = Assert.Single(ChangesetCheck.Check(changes, Protected, allowProtected: false));
            Assert.Equal(kind, refusal.Kind.ToString());
        }
    }

    [Fact]
    public void A_link_that_climbs_through_another_link_is_refused_whatever_its_text_resolves_to()
    {
        var (copy, changes) = Agent(workspace =>
        {
            Directory.CreateDirectory(Path.Combine(workspace, "a"));
            File.CreateSymbolicLink(Path.Combine(workspace, "a", "s"), ".");
            File.CreateSymbolicLink(Path.Combine(workspace, "evil.txt"), "a/s/../a/s/../a/s/../../../etc/passwd");
        });
        using (copy)
        {
            Assert.Contains(ChangesetCheck.Check(changes, Protected, allowProtected: false), refusal => refusal.Path == "evil.txt" && refusal.Kind == RefusalKind.Link);
        }
    }

    [Fact]
    public void A_bare_repository_whose_config_is_a_link_is_git_metadata_too()
    {
        var (copy, changes) = Agent(workspace =>
        {
            TempDirectory.WriteIn(workspace, "cfg.txt", "[core]\n\tfsmonitor = evil\n");
            TempDirectory.WriteIn(workspace, "src/HEAD", "ref: refs/heads/main\n");
            File.CreateSymbolicLink(Path.Combine(workspace, "src", "config"), "../cfg.txt");
            Directory.CreateDirectory(Path.Combine(workspace, "src", "objects"));
        });
        using (copy)
        {
            Assert.Equal(["src"], changes.GitMetadata);
        }
    }

    [Fact]
    public void A_device_or_pipe_does_not_stop_the_patch_and_a_nested_folder_replaced_by_a_file_applies()
    {
        _temp.Write("src/deep/er/x.cs", "x\n");
        var (copy, changes) = Agent(workspace =>
        {
            Directory.Delete(Path.Combine(workspace, "src"), recursive: true);
            File.WriteAllText(Path.Combine(workspace, "src"), "now a file\n");
            Assert.Equal(0, System.Diagnostics.Process.Start("mkfifo", [Path.Combine(workspace, "pipe")])!.WaitForExitAsync().Wait(5000) ? 0 : 1);
        });
        using (copy)
        {
            Assert.Contains(changes.Entries, entry => entry.Path == "pipe" && entry.Kind == EntryKind.Other);
            Assert.Contains("now a file", ChangesetPatch.Create(changes, _temp.Path));

            ChangesetApply.ApplyTo(new Changeset(changes.Entries.Where(entry => entry.Kind != EntryKind.Other).ToList(), []), _temp.Path);

            Assert.Equal("now a file\n", File.ReadAllText(_temp.Combine("src")));
        }
    }

    [Fact]
    public void A_bare_repository_layout_under_any_name_is_git_metadata()
    {
        var (copy, changes) = Agent(workspace =>
        {
            TempDirectory.WriteIn(workspace, "innocent/HEAD", "ref: refs/heads/main\n");
            TempDirectory.WriteIn(workspace, "innocent/config", "[core]\n\tfsmonitor = evil\n");
            Directory.CreateDirectory(Path.Combine(workspace, "innocent", "objects"));
        });
        using (copy)
        {
            Assert.Equal(["innocent"], changes.GitMetadata);
        }
    }

    [Theory]
    [InlineData("/etc/passwd", true)]
    [InlineData("../../outside", true)]
    [InlineData("App.csproj", true)]
    [InlineData(".git/config", true)]
    [InlineData("src/Lib.cs", false)]
    [InlineData("./Program.cs", false)]
    public void Links_that_lead_out_into_git_or_to_protected_files_are_refused(string target, bool refused)
    {
        var (copy, changes) = Agent(workspace => File.CreateSymbolicLink(Path.Combine(workspace, "link"), target));
        using (copy)
        {
            Assert.Equal(refused, ChangesetCheck.Check(changes, Protected, allowProtected: false).Any(refusal => refusal.Kind == RefusalKind.Link));
        }
    }

    [Fact]
    public void AgentAllowProtectedChanges_lets_protected_changes_through_but_never_git_metadata()
    {
        var (copy, changes) = Agent(workspace =>
        {
            File.WriteAllText(Path.Combine(workspace, "App.csproj"), "<Project Sdk=\"x\" />\n");
            TempDirectory.WriteIn(workspace, "x/.git/HEAD", "ref: refs/heads/main\n");
        });
        using (copy)
        {
            Assert.Equal([RefusalKind.GitMetadata], ChangesetCheck.Check(changes, Protected, allowProtected: true).Select(refusal => refusal.Kind));
        }
    }

    [Fact]
    public void Applying_writes_every_change_with_its_mode_and_links_as_links()
    {
        var (copy, changes) = Agent(workspace =>
        {
            File.WriteAllText(Path.Combine(workspace, "Program.cs"), "changed\n");
            File.Delete(Path.Combine(workspace, "src", "Lib.cs"));
            TempDirectory.WriteIn(workspace, "deep/new/tool.sh", "#!/bin/sh\n");
            File.SetUnixFileMode(Path.Combine(workspace, "deep", "new", "tool.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.CreateSymbolicLink(Path.Combine(workspace, "link.cs"), "Program.cs");
        });
        using (copy)
        {
            Assert.Empty(ChangesetApply.Conflicts(changes, copy.Before, _temp.Path));

            ChangesetApply.ApplyTo(changes, _temp.Path);

            Assert.Equal("changed\n", File.ReadAllText(_temp.Combine("Program.cs")));
            Assert.False(File.Exists(_temp.Combine("src/Lib.cs")));
            Assert.True((File.GetUnixFileMode(_temp.Combine("deep/new/tool.sh")) & UnixFileMode.UserExecute) != 0);
            Assert.Equal("Program.cs", new FileInfo(_temp.Combine("link.cs")).LinkTarget);
            Assert.Equal("binary", File.ReadAllText(_temp.Combine("bin/Debug/App.dll")));
            Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp", SearchOption.AllDirectories));
        }
    }

    [Fact]
    public void A_folder_replaced_by_a_file_and_a_file_replaced_by_a_folder_are_applied_in_an_order_that_works()
    {
        _temp.Write("notes", "a file\n");
        var (copy, changes) = Agent(workspace =>
        {
            Directory.Delete(Path.Combine(workspace, "src"), recursive: true);
            File.WriteAllText(Path.Combine(workspace, "src"), "now a file\n");
            File.Delete(Path.Combine(workspace, "notes"));
            TempDirectory.WriteIn(workspace, "notes/today.md", "now a folder\n");
        });
        using (copy)
        {
            ChangesetApply.ApplyTo(changes, _temp.Path);

            Assert.Equal("now a file\n", File.ReadAllText(_temp.Combine("src")));
            Assert.Equal("now a folder\n", File.ReadAllText(_temp.Combine("notes/today.md")));
        }
    }

    [Fact]
    public void A_file_the_user_changed_meanwhile_is_a_conflict()
    {
        var (copy, changes) = Agent(workspace => File.WriteAllText(Path.Combine(workspace, "Program.cs"), "the agent's\n"));
        using (copy)
        {
            _temp.Write("Program.cs", "the user's\n");

            Assert.Equal(["Program.cs"], ChangesetApply.Conflicts(changes, copy.Before, _temp.Path));
        }
    }

    [Fact]
    public void The_patch_takes_the_tree_to_the_agents_and_back()
    {
        var (copy, changes) = Agent(workspace =>
        {
            File.WriteAllText(Path.Combine(workspace, "Program.cs"), "changed\n");
            File.Delete(Path.Combine(workspace, "src", "Lib.cs"));
            File.WriteAllBytes(Path.Combine(workspace, "image.bin"), [0, 1, 2, 255, 0]);
        });
        using (copy)
        {
            var patch = ChangesetPatch.Create(changes, _temp.Path);

            Assert.NotNull(patch);
            Assert.Contains("GIT binary patch", patch);
            var file = _temp.Write("changes.patch", patch);
            Assert.Equal(0, Git("apply", "--exclude=changes.patch", file));
            Assert.Equal("changed\n", File.ReadAllText(_temp.Combine("Program.cs")));
            Assert.Equal([0, 1, 2, 255, 0], File.ReadAllBytes(_temp.Combine("image.bin")));
            Assert.Equal(0, Git("apply", "-R", file));
            Assert.Equal("class Lib {}\n", File.ReadAllText(_temp.Combine("src/Lib.cs")));
            Assert.False(File.Exists(_temp.Combine("image.bin")));
        }
    }

    private int Git(params string[] arguments) => GitCommand.Run(_temp.Path, arguments)!.Value.ExitCode;
}
