using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>
/// A checkpoint starts from a copy of the user's index only when every entry of it is plain, read from indexes git
/// itself wrote: every format, both object-name sizes, and each entry or extension that takes the index's word.
/// </summary>
public sealed class GitIndexTests : IDisposable
{
    private readonly TempDirectory _repository = new();
    private readonly TempDirectory _scratch = new();

    public void Dispose()
    {
        _repository.Dispose();
        _scratch.Dispose();
    }

    private void Git(params string[] arguments) =>
        Assert.True(GitCommand.Run(_repository.Path, arguments)!.Value.ExitCode == 0, string.Join(' ', arguments));

    private void Repository(params string[] init)
    {
        Git(["init", "-q", .. init]);
        _repository.Write("Program.cs", "class Program {}\n");
        _repository.Write("src/deep/folder/with/a/longer/name/File.cs", "// a name past the first eight-byte padding\n");
        _repository.Write("README.md", "readme\n");
        Git("add", "-A");
    }

    private bool Copied() => GitIndex.TryCopyPlain(_repository.Path, _scratch.Combine("index"));

    [Theory]
    [InlineData("2")]
    [InlineData("3")]
    [InlineData("4")]
    public void An_index_of_plain_entries_is_copied_in_every_format(string version)
    {
        Repository();
        Git("update-index", "--index-version", version);

        Assert.True(Copied());
        Assert.Equal(File.ReadAllBytes(_repository.Combine(".git/index")), File.ReadAllBytes(_scratch.Combine("index")));
    }

    [Fact]
    public void A_repository_of_SHA_256_object_names_has_its_index_copied()
    {
        Repository("--object-format=sha256");

        Assert.True(Copied());
    }

    [Fact]
    public void The_copy_has_the_index_files_time_which_git_compares_each_entrys_with()
    {
        Repository();
        var written = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(_repository.Combine(".git/index"), written);

        Assert.True(Copied());
        Assert.Equal(written, File.GetLastWriteTimeUtc(_scratch.Combine("index")));
    }

    [Theory]
    [InlineData("2", "--assume-unchanged")]
    [InlineData("4", "--assume-unchanged")]
    [InlineData("3", "--skip-worktree")]
    [InlineData("4", "--skip-worktree")]
    public void An_entry_that_takes_the_indexs_word_over_the_disks_leaves_the_index_alone(string version, string flag)
    {
        Repository();
        Git("update-index", "--index-version", version);
        Git("update-index", flag, "src/deep/folder/with/a/longer/name/File.cs");

        Assert.False(Copied());
        Assert.False(File.Exists(_scratch.Combine("index")));
    }

    [Fact]
    public void A_file_only_intended_to_be_added_leaves_the_index_alone()
    {
        Repository();
        _repository.Write("Later.cs", "later\n");
        Git("add", "-N", "Later.cs");

        Assert.False(Copied());
    }

    [Fact]
    public void A_split_index_whose_entries_live_in_a_shared_file_is_not_copied()
    {
        Repository();
        Git("update-index", "--split-index");

        Assert.False(Copied());
    }

    [Fact]
    public void A_worktree_has_the_index_its_git_file_points_to_copied()
    {
        Repository();
        Git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first");
        var worktree = _scratch.Combine("worktree");
        Git("worktree", "add", "-q", worktree);

        Assert.True(GitIndex.TryCopyPlain(worktree, _scratch.Combine("index")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_repository.Path, ".git", "worktrees", "worktree", "index")), File.ReadAllBytes(_scratch.Combine("index")));
    }

    [Fact]
    public async Task An_index_that_is_a_link_or_a_pipe_is_not_read()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Links need a privilege there, and pipes are no files.
        }
        Repository();
        var index = _repository.Combine(".git/index");
        var real = _scratch.Combine("real-index");
        File.Move(index, real);
        File.CreateSymbolicLink(index, real);
        Assert.True(GitIndex.IsPlain(File.ReadAllBytes(real)));

        Assert.False(Copied());

        // A pipe no one writes to would hold the build for ever on its first read.
        File.Delete(index);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [index])!)
        {
            Assert.True(mkfifo.WaitForExit(5000) && mkfifo.ExitCode == 0);
        }
        // WaitAsync throws a TimeoutException when the read hangs.
        Assert.False(await Task.Run(Copied).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_repository_without_an_index_or_a_damaged_one_has_none_copied()
    {
        Git("init", "-q");
        Assert.False(Copied());

        Repository();
        var index = File.ReadAllBytes(_repository.Combine(".git/index"));
        Assert.True(GitIndex.IsPlain(index));
        Assert.False(GitIndex.IsPlain(index.AsSpan(0, index.Length - 30)));
        Assert.False(GitIndex.IsPlain(index.AsSpan(0, 40)));
        var otherVersion = index.ToArray();
        otherVersion[7] = 5;
        Assert.False(GitIndex.IsPlain(otherVersion));
        var notAnIndex = index.ToArray();
        notAnIndex[0] = (byte)'X';
        Assert.False(GitIndex.IsPlain(notAnIndex));
    }
}
