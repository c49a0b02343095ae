using AgentSandbox.Errors;
using AgentSandbox.Workspace;

namespace AgentSandbox.Run.Steps;

/// <summary>
/// Copy mode: the changeset check (nothing is applied yet, so a refusal only fails the run). Mount mode: what the
/// agent left that the host would act on without anyone reading it: git metadata it created (git on the
/// host runs a repository's hooks and core.fsmonitor) is renamed out of git's way and fails the run, as do
/// directories it made unreadable (they could hide such metadata); changed build output, which the host's next build
/// may use without compiling, is a warning.
/// </summary>
internal sealed class GuardHostStep : IAgentRunStep
{
    public bool AlwaysRuns => true;

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Changeset is { } changes)
        {
            var policy = context.Spec.Policy;
            context.Refusals.AddRange(ChangesetCheck.Check(changes, policy.ProtectedPaths, policy.AllowProtectedChanges));
            return Task.CompletedTask;
        }
        if (context.Before is not { } before || context.After is not { } after)
        {
            return Task.CompletedTask;
        }
        foreach (var entry in before.NewGitEntries(after))
        {
            context.PlantedGitMetadata.Add(GitQuarantine.Rename(context.Spec.WorkspaceRoot, entry));
        }
        foreach (var layout in before.NewBareRepositories(after, context.Spec.WorkspaceRoot))
        {
            // Its config out of git's way; the folder itself stays (it may be the workspace).
            context.PlantedGitMetadata.Add(GitQuarantine.Rename(context.Spec.WorkspaceRoot, layout == "." ? "config" : $"{layout}/config") + " (a bare repository's config)");
        }
        context.PlantedGitMetadata.AddRange(before.NewlyUnreadable(after).Select(directory => $"{directory} (made unreadable, so it could not be checked)"));
        RefuseLive(context);
        if (before.BuildOutputChanges(after) is > 0 and var count)
        {
            context.Log.Warn(Diagnostics.BuildOutputChanged(count));
        }
        return Task.CompletedTask;
    }

    public const string RefusedSuffix = ".refused-by-agentsandbox";

    /// <summary>
    /// Mount mode, after the fact: the changeset check on what the agent did to the live tree. Each refused path is
    /// moved aside (its name + .refused-by-agentsandbox, kept for inspection; a rename never follows a link) and what
    /// was there before is put back from the checkpoint, so that nothing refused stays where the host would run it.
    /// </summary>
    private static void RefuseLive(AgentRunContext context)
    {
        var root = context.Spec.WorkspaceRoot;
        string Full(string path) => Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar));
        var entries = context.ChangedFiles.Select(change =>
            new FileInfo(Full(change.Path)).LinkTarget is { } target && change.Change != FileChange.Deleted
                ? new ChangesetEntry(change.Path, change.Change, EntryKind.Link, LinkTarget: target)
                : new ChangesetEntry(change.Path, change.Change, EntryKind.File)).ToList();
        var policy = context.Spec.Policy;
        foreach (var refusal in ChangesetCheck.Check(new Changeset(entries, []), policy.ProtectedPaths, policy.AllowProtectedChanges))
        {
            var path = Full(refusal.Path);
            if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            {
                var aside = path + RefusedSuffix;
                for (var n = 2; Path.Exists(aside) || new FileInfo(aside).LinkTarget is not null; n++)
                {
                    aside = $"{path}{RefusedSuffix}-{n}";
                }
                File.Move(path, aside);
            }
            context.Checkpoint?.RestoreFile(refusal.Path);
            context.Refusals.Add(refusal);
        }
    }
}
