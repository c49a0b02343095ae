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
        context.PlantedGitMetadata.AddRange(before.NewlyUnreadable(after).Select(directory => $"{directory} (made unreadable, so it could not be checked)"));
        if (before.BuildOutputChanges(after) is > 0 and var count)
        {
            context.Log.Warn(Diagnostics.BuildOutputChanged(count));
        }
        return Task.CompletedTask;
    }
}
