using AgentSandbox.Common;
using AgentSandbox.Errors;

namespace AgentSandbox.Workspace;

/// <summary>
/// AgentWorkspaceMode worktree: the agent works in a git worktree of its own, made from HEAD on a new branch
/// agent/&lt;run id&gt;, so the user's working tree and index are never touched and several agents can work on one
/// repository at once. Its checked changes are committed to that branch; the worktree folder goes, the branch stays.
/// </summary>
internal sealed class AgentWorktree : IDisposable
{
    private readonly string _repository;

    private AgentWorktree(string repository, string root, string branch) => (_repository, Root, Branch) = (repository, root, branch);

    /// <summary>The worktree's top folder, in the temporary folder.</summary>
    public string Root { get; }

    public string Branch { get; }

    private bool _committed;

    /// <param name="workspaceRoot">The workspace: inside the git repository the worktree is made of.</param>
    public static AgentWorktree Create(string workspaceRoot, string id)
    {
        var repository = WorkspaceChoice.RepositoryRoot(workspaceRoot);
        if (repository is null || !SandboxPaths.IsWithin(repository, workspaceRoot))
        {
            throw Diagnostics.WorktreeNeedsRepository(workspaceRoot);
        }
        var root = Directory.CreateTempSubdirectory("agentsandbox-worktree-").FullName;
        var branch = $"agent/{id}";
        var added = GitCommand.Run(repository, ["worktree", "add", "-q", "-b", branch, root, "HEAD"]);
        return added is { ExitCode: 0 }
            ? new AgentWorktree(repository, root, branch)
            : throw Diagnostics.WorktreeNotMade(repository, added is null ? "git is not installed" : "git worktree add failed; the repository needs at least one commit");
    }

    /// <summary>Where a folder of the user's repository is in the worktree.</summary>
    public string Map(string path) => Path.GetFullPath(Path.Combine(Root, Path.GetRelativePath(_repository, path)));

    /// <summary>Commits everything the worktree now holds to the branch, by AgentSandbox, with no hook of the user's run.</summary>
    /// <returns>git's short statistics of the commit ("3 files changed, 10 insertions(+)"); null when there was nothing to commit.</returns>
    public string? Commit(string message)
    {
        if (GitCommand.Run(Root, ["add", "-A"]) is not { ExitCode: 0 }
            || GitCommand.Run(Root, ["diff", "--cached", "--quiet"]) is { ExitCode: 0 }
            || GitCommand.Run(Root, [.. GitCommand.AsAgentSandbox, "commit", "-q", "--no-verify", "-m", message]) is not { ExitCode: 0 })
        {
            return null;
        }
        _committed = true;
        return GitCommand.Run(Root, ["diff", "--shortstat", "HEAD~1", "HEAD"])?.Output.Trim();
    }

    public void Dispose()
    {
        GitCommand.Run(_repository, ["worktree", "remove", "--force", Root]);
        if (!_committed)
        {
            // Nothing of the agent's on it: the branch would only be HEAD under another name.
            GitCommand.Run(_repository, ["branch", "-D", Branch]);
        }
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
            GitCommand.Run(_repository, ["worktree", "prune"]);
        }
    }
}
