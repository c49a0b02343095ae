namespace AgentSandbox.Spec;

/// <summary>AgentWorkspaceMode: how the agent's containers get the workspace.</summary>
internal enum WorkspaceMode
{
    /// <summary>A copy inside the sandbox; the user's tree changes only by the checked changeset, after a successful run.</summary>
    Copy,

    /// <summary>The user's tree, mounted read-write: the agent's changes are live, and checked only afterwards.</summary>
    Mount,

    /// <summary>A git worktree of its own on a new branch: the checked changes are committed there, the user's tree is never touched.</summary>
    Worktree,
}

/// <summary>How the agent's changes reach the user's tree.</summary>
/// <param name="ProtectedPaths">Globs (AgentProtectedPath) of build and automation logic the agent may not change.</param>
/// <param name="AllowProtectedChanges">AgentAllowProtectedChanges: lets changes to protected paths through for this run.</param>
/// <param name="CheckpointsToKeep">AgentCheckpointsToKeep: how many checkpoints of the tree before a run are kept.</param>
internal sealed record WorkspacePolicy(WorkspaceMode Mode, IReadOnlyList<string> ProtectedPaths, bool AllowProtectedChanges, int CheckpointsToKeep = WorkspacePolicy.DefaultCheckpointsToKeep)
{
    public const int DefaultCheckpointsToKeep = 10;
}
