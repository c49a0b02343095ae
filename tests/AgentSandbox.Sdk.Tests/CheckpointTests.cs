using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>A checkpoint gives back the exact tree it recorded: changed files, deleted ones and added ones, and touches nothing else.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose()
    {
        _temp.Dispose();
        _state.Dispose();
    }

    /// <summary>Kept apart from the workspace, as the state folder is.</summary>
    private readonly TempDirectory _state = new();

    private string Checkpoints => _state.Path;

    /// <summary>As a run makes one: taken, then the older ones pruned.</summary>
    private Checkpoint Create(string workspaceRoot, string id, int keep)
    {
        var checkpoint = Checkpoint.Take(workspaceRoot, id, Checkpoints);
        Checkpoint.Prune(workspaceRoot, keep, Checkpoints);
        return checkpoint;
    }

    private string Git(params string[] arguments)
    {
        var result = GitCommand.Run(_temp.Path, arguments, new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = "t", ["GIT_AUTHOR_EMAIL"] = "t@t", ["GIT_COMMITTER_NAME"] = "t", ["GIT_COMMITTER_EMAIL"] = "t@t",
        })!.Value;
        Assert.True(result.ExitCode == 0, string.Join(' ', arguments));
        return result.Output;
    }

    private void Tree()
    {
        _temp.Write("Committed.cs", "committed\n");
        _temp.Write("src/Edited.cs", "edited, not committed\n");
        _temp.Write("Untracked.cs", "untracked\n");
        _temp.Write("ignored.log", "ignored\n");
    }

    private void Agent()
    {
        _temp.Write("Committed.cs", "the agent's\n");
        File.Delete(_temp.Combine("src/Edited.cs"));
        File.Delete(_temp.Combine("Untracked.cs"));
        _temp.Write("src/Added.cs", "added by the agent\n");
        _temp.Write("ignored.log", "changed by the agent\n");
    }

    [Fact]
    public void In_a_git_repository_it_is_a_commit_under_refs_agentsandbox_and_the_users_index_and_branch_stay()
    {
        Git("init", "-q");
        _temp.Write(".gitignore", "*.log\nobj/\n");
        Tree();
        Git("add", ".gitignore", "Committed.cs");
        Git("commit", "-q", "-m", "first");
        _temp.Write("src/Edited.cs", "edited, not committed\n");
        var head = Git("rev-parse", "HEAD");
        var status = Git("status", "--porcelain");

        var checkpoint = Create(_temp.Path, "run1", keep: 10);

        Assert.Equal("refs/agentsandbox/run1", checkpoint.GitReference);
        Assert.Equal(head, Git("rev-parse", "HEAD"));
        Assert.Equal(status, Git("status", "--porcelain"));

        Agent();
        var (written, removed) = Checkpoint.Find("run1", Checkpoints)!.Restore();

        Assert.Equal("committed\n", File.ReadAllText(_temp.Combine("Committed.cs")));
        Assert.Equal("edited, not committed\n", File.ReadAllText(_temp.Combine("src/Edited.cs")));
        Assert.Equal("untracked\n", File.ReadAllText(_temp.Combine("Untracked.cs")));
        Assert.False(File.Exists(_temp.Combine("src/Added.cs")));
        // Ignored files are not the checkpoint's: left as they are.
        Assert.Equal("changed by the agent\n", File.ReadAllText(_temp.Combine("ignored.log")));
        Assert.Equal(1, removed);
        Assert.True(written >= 4);
        Assert.Equal(status, Git("status", "--porcelain"));
        Assert.Equal(head, Git("rev-parse", "HEAD"));
    }

    [Fact]
    public void Outside_git_it_is_an_archive_and_restores_every_file()
    {
        Tree();

        var checkpoint = Create(_temp.Path, "run1", keep: 10);
        Agent();
        checkpoint.Restore();

        Assert.EndsWith("run1.tar.gz", checkpoint.Archive);
        Assert.Equal("committed\n", File.ReadAllText(_temp.Combine("Committed.cs")));
        Assert.Equal("edited, not committed\n", File.ReadAllText(_temp.Combine("src/Edited.cs")));
        Assert.Equal("untracked\n", File.ReadAllText(_temp.Combine("Untracked.cs")));
        Assert.Equal("ignored\n", File.ReadAllText(_temp.Combine("ignored.log")));
        Assert.False(File.Exists(_temp.Combine("src/Added.cs")));
        Assert.Equal("dotnet build -t:AgentRestore -p:AgentCheckpoint=run1", checkpoint.RestoreCommand);
    }

    [Fact]
    public void Only_the_newest_checkpoints_are_kept()
    {
        Git("init", "-q");
        Tree();
        foreach (var id in new[] { "run1", "run2", "run3" })
        {
            Create(_temp.Path, id, keep: 2);
            File.SetLastWriteTimeUtc(Path.Combine(Checkpoints, id + ".json"), DateTime.UtcNow.AddMinutes(id[^1] - '9'));
        }

        Assert.Null(Checkpoint.Find("run1", Checkpoints));
        Assert.NotNull(Checkpoint.Find("run3", Checkpoints));
        Assert.DoesNotContain("refs/agentsandbox/run1", Git("for-each-ref", "refs/agentsandbox/"));
        Assert.Contains("refs/agentsandbox/run3", Git("for-each-ref", "refs/agentsandbox/"));
    }

    [Fact]
    public void A_file_changed_since_the_users_index_was_written_is_recorded_as_it_is_now()
    {
        Git("init", "-q");
        Tree();
        Git("add", "-A");
        Git("commit", "-q", "-m", "first");
        // Same size, a moment later: only its content says it changed.
        _temp.Write("Committed.cs", "COMMITTED\n");
        File.SetLastWriteTimeUtc(_temp.Combine("Committed.cs"), DateTime.UtcNow.AddSeconds(5));
        var index = File.ReadAllBytes(_temp.Combine(".git/index"));

        Create(_temp.Path, "run1", keep: 10);
        _temp.Write("Committed.cs", "the agent's\n");
        Checkpoint.Find("run1", Checkpoints)!.Restore();

        Assert.Equal("COMMITTED\n", File.ReadAllText(_temp.Combine("Committed.cs")));
        Assert.Equal(index, File.ReadAllBytes(_temp.Combine(".git/index")));
    }

    [Theory]
    [InlineData("--skip-worktree")]
    [InlineData("--assume-unchanged")]
    public void A_file_the_user_hid_from_git_is_recorded_as_it_is_on_disk(string flag)
    {
        Git("init", "-q");
        Tree();
        Git("add", "-A");
        Git("commit", "-q", "-m", "first");
        Git("update-index", flag, "Committed.cs");
        _temp.Write("Committed.cs", "local settings, not for git\n");

        Create(_temp.Path, "run1", keep: 10);
        _temp.Write("Committed.cs", "the agent's\n");
        Checkpoint.Find("run1", Checkpoints)!.Restore();

        Assert.Equal("local settings, not for git\n", File.ReadAllText(_temp.Combine("Committed.cs")));
    }

    [Fact]
    public void The_checkpoints_of_a_workspace_that_is_gone_go_with_the_next_checkpoint_of_any()
    {
        using var gone = new TempDirectory();
        gone.Write("Program.cs", "gone\n");
        var old = Create(gone.Path, "gone1", keep: 10);
        Assert.True(File.Exists(old.Archive));
        Tree();
        Create(_temp.Path, "kept1", keep: 10);
        Assert.NotNull(Checkpoint.Find("gone1", Checkpoints));

        gone.Dispose();
        File.SetLastWriteTimeUtc(Path.Combine(Checkpoints, "gone1.json"), DateTime.UtcNow - Checkpoint.GoneWorkspaceGrace - TimeSpan.FromMinutes(1));
        Create(_temp.Path, "kept2", keep: 10);

        Assert.False(File.Exists(Path.Combine(Checkpoints, "gone1.json")));
        Assert.False(File.Exists(old.Archive));
        Assert.NotNull(Checkpoint.Find("kept1", Checkpoints));
        Assert.NotNull(Checkpoint.Find("kept2", Checkpoints));
    }

    [Fact]
    public void A_gone_workspaces_checkpoint_stays_a_day_and_one_whose_parent_folder_is_gone_too_stays()
    {
        using var gone = new TempDirectory();
        gone.Write("Program.cs", "gone\n");
        Create(gone.Path, "recent", keep: 10);
        var unmounted = Path.Combine(Checkpoints, "unmounted.json");
        File.WriteAllText(unmounted, File.ReadAllText(Path.Combine(Checkpoints, "recent.json"))
            .Replace("recent", "unmounted").Replace(gone.Path, "/nonexistent-drive/work/repo"));
        Assert.Contains("/nonexistent-drive/work/repo", File.ReadAllText(unmounted));
        File.SetLastWriteTimeUtc(unmounted, DateTime.UtcNow.AddDays(-30));
        gone.Dispose();
        Tree();

        Create(_temp.Path, "kept1", keep: 10);

        Assert.True(File.Exists(Path.Combine(Checkpoints, "recent.json")));
        Assert.True(File.Exists(Path.Combine(Checkpoints, "recent.tar.gz")));
        Assert.True(File.Exists(unmounted));
    }

    [Fact]
    public void A_record_naming_another_file_as_its_archive_never_has_that_file_deleted()
    {
        using var gone = new TempDirectory();
        gone.Write("Program.cs", "gone\n");
        Create(gone.Path, "gone1", keep: 10);
        var precious = _state.Write("precious.tar.gz", "not a checkpoint's\n");
        var record = Path.Combine(Checkpoints, "gone1.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace(Path.Combine(Checkpoints, "gone1.tar.gz"), precious));
        Assert.Contains("precious.tar.gz", File.ReadAllText(record));
        File.SetLastWriteTimeUtc(record, DateTime.UtcNow - Checkpoint.GoneWorkspaceGrace - TimeSpan.FromMinutes(1));
        gone.Dispose();
        Tree();

        Create(_temp.Path, "kept1", keep: 10);

        Assert.True(File.Exists(precious));
        Assert.False(File.Exists(record));
    }

    [Theory]
    [InlineData("archive")]
    [InlineData("workspace")]
    [InlineData("reference")]
    [InlineData("garbage")]
    public void A_record_that_does_not_hold_together_is_no_checkpoint(string tampered)
    {
        Tree();
        Create(_temp.Path, "run1", keep: 10);
        var record = Path.Combine(Checkpoints, "run1.json");
        var text = File.ReadAllText(record);
        File.WriteAllText(record, tampered switch
        {
            "archive" => text.Replace(Path.Combine(Checkpoints, "run1.tar.gz"), "/etc/passwd"),
            "workspace" => text.Replace(_temp.Path, "/nonexistent"),
            "reference" => text.Replace("\"GitReference\": null", "\"GitReference\": \"refs/heads/main\""),
            _ => "{ not json",
        });

        Assert.Null(Checkpoint.Find("run1", Checkpoints));
    }
}
