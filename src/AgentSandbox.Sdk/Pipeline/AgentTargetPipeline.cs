using AgentSandbox.Common;
using AgentSandbox.Docker;
using AgentSandbox.Containers;
using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Inputs;
using AgentSandbox.Kubernetes;
using AgentSandbox.Logging;
using AgentSandbox.Presets;
using AgentSandbox.Project;
using AgentSandbox.Reporting;
using AgentSandbox.Run;
using AgentSandbox.Run.Steps;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Pipeline;

/// <summary>What an agent target leaves: its result, where result.json is, and the error the target fails with.</summary>
internal sealed record AgentTargetOutcome(AgentRunResult Result, string ResultPath, Exception? Error);

/// <summary>
/// An agent target from its resolved spec to its report: the image (built when missing), the run (one agent run, or
/// AgentFix's rounds), result.json, the CI summary and the build messages. Tasks only hand it the spec and turn what
/// it returns into MSBuild outputs.
/// </summary>
internal sealed class AgentTargetPipeline(IImageEngine images, IContainerEngine containers, ISandboxLog log)
{
    /// <param name="context">The image's build context, already written where users can read it.</param>
    /// <param name="resultPath">Where result.json goes; an older one is deleted first.</param>
    /// <param name="whyStopped">When <paramref name="cancellationToken"/> stopped the run: the coded error that says why (cancelled, timed out).</param>
    public async Task<AgentTargetOutcome> RunAsync(
        SandboxSpec spec, SandboxBuildContext context, string resultPath, CancellationToken cancellationToken, Func<AgentSandboxException>? whyStopped = null)
    {
        // What builds no longer running left is removed beside this run, not before it (none of it is this run's): the
        // listing and the removals stay off the way to the agent.
        var sweep = Orphans.SweepAsync(containers, log, cancellationToken);
        try
        {
            return await RunAfterSweepStartedAsync(spec, context, resultPath, cancellationToken, whyStopped).ConfigureAwait(false);
        }
        finally
        {
            await Orphans.SettleAsync(sweep, log).ConfigureAwait(false);
            await SettlePruningAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Older checkpoints being pruned beside the run (pruning reads every checkpoint's record): done before the target ends.</summary>
    private Task _pruning = Task.CompletedTask;

    private async Task SettlePruningAsync()
    {
        try
        {
            await _pruning.ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            log.Info($"Older checkpoints were not all pruned ({failure.Message}); the next checkpoint tries again.");
        }
    }

    /// <summary>AgentResume: the session the last run of this target left, read before its result.json goes; a fresh one with AGS4108 when there is none.</summary>
    private AgentRunSpec ResumeLast(AgentRunSpec run, PreviousRun? previous)
    {
        if (run.Sessions is not { ResumeLast: true })
        {
            return run;
        }
        if (previous is { SessionId: { } session } && previous.Agent == run.Agent.Kind && SandboxSpecFactory.IsSessionId(session))
        {
            log.Info($"{run.Label}: continuing session {session}.");
            return run with { Invocation = run.Invocation with { ResumeSession = session } };
        }
        log.Warn(Diagnostics.SessionNotResumed(run.Agent.DisplayName, $"no earlier {run.TargetName} of it in this project left a session to continue"));
        return run;
    }

    private async Task<AgentTargetOutcome> RunAfterSweepStartedAsync(
        SandboxSpec spec, SandboxBuildContext context, string resultPath, CancellationToken cancellationToken, Func<AgentSandboxException>? whyStopped)
    {
        whyStopped ??= () => Diagnostics.Cancelled("the build was cancelled");
        var run = spec.Run ?? throw new ArgumentException("An agent target needs a run spec.", nameof(spec));
        // An old result must never pass for this run's, whatever stops this run.
        // Mount mode with an agent user of its own: folders that user owns are not trusted.
        var agentUid = run.Policy.Mode == WorkspaceMode.Mount && run.User.Uid != HostUser.Current().Uid ? run.User.Uid : (uint?)null;
        var previous = ResultDocument.ReadPrevious(resultPath);
        run = ResumeLast(run, previous);
        SafeFiles.Delete(resultPath, run.WorkspaceRoot, agentUid);
        string imageTag;
        try
        {
            (imageTag, var sandbox) = await SandboxImageBuilder.EnsureAsync(images, context, spec.Image.BaseImage, spec.ImageBuild, run.Identity.Labels, log, cancellationToken).ConfigureAwait(false);
            if (run.Egress is not null)
            {
                imageTag = await SandboxImageBuilder.EnsureEgressAsync(images, imageTag, sandbox, run.Identity.Labels, log, cancellationToken).ConfigureAwait(false);
            }
            if (run.Cluster?.ImageRegistry is { } registry)
            {
                imageTag = await SandboxImageBuilder.PublishAsync(images, imageTag, registry, log, cancellationToken).ConfigureAwait(false);
            }
            run = await ResolveRuntimeAsync(run, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is AgentSandboxException or OperationCanceledException)
        {
            // The agent never started, but whoever reads result.json must still learn why (the engine is down, the image failed).
            var coded = failure as AgentSandboxException ?? whyStopped();
            ResultDocument.From(AgentRunResult.NotRun(run, image: "", coded), run, coded).WriteTo(resultPath, run.WorkspaceRoot, agentUid);
            throw coded;
        }

        var patchPath = Path.Combine(Path.GetDirectoryName(resultPath)!, PatchFileName);
        AgentRunResult result;
        if (run.Policy.Mode == WorkspaceMode.Worktree)
        {
            result = (await RunInWorktreeAsync(run, imageTag, patchPath, resultPath, cancellationToken).ConfigureAwait(false)).StoppedBy(whyStopped);
        }
        else if (run.Policy.Mode == WorkspaceMode.Copy)
        {
            // The tree is locked only while it is read and while changes are written to it, so that copies run side by
            // side (-m over projects that share a workspace); a change another run applied meanwhile to a file this one
            // changed too is caught when this one applies (AGS4015), and its patch is kept.
            WorkspaceCopy copy;
            using (await WorkspaceLock.AcquireAsync(run.WorkspaceRoot, run.Label, Reading, cancellationToken).ConfigureAwait(false))
            {
                copy = WorkspaceCopy.Pack(run.WorkspaceRoot, run.User);
            }
            using (copy)
            {
                var key = RunCacheKey.Of(run, imageTag, copy.Before.Values);
                result = Unchanged(run, imageTag, key, resultPath) ?? await Ran().ConfigureAwait(false);

                async Task<AgentRunResult> Ran()
                {
                    var ran = (await PresetRunner.RunAsync(run, imageTag, containers, log, cancellationToken, copy).ConfigureAwait(false)).StoppedBy(whyStopped);
                    // Not the build's token: a stopped run applies nothing, but still writes its result.
                    using (await WorkspaceLock.AcquireAsync(run.WorkspaceRoot, run.Label, Reading, CancellationToken.None).ConfigureAwait(false))
                    {
                        return Deliver(ran, run, copy, patchPath, toUserTree: true) with { Cache = new RunCache(key, Hit: false, run.Identity.RunId) };
                    }
                }
            }
        }
        else
        // Mount mode, from the first snapshot to the last: another run in the same tree meanwhile would pass its changes off as this run's.
        using (await WorkspaceLock.AcquireAsync(run.WorkspaceRoot, run.Label, Waiting, cancellationToken).ConfigureAwait(false))
        {
            var before = WorkspaceSnapshot.Take(run.WorkspaceRoot);
            var key = RunCacheKey.Of(run, imageTag, before.Contents);
            result = Unchanged(run, imageTag, key, resultPath) ?? await Ran().ConfigureAwait(false);

            async Task<AgentRunResult> Ran()
            {
                // Mount mode only, and only when an agent runs: in copy mode the build writes the agent's files to the
                // tree, as the build's own user.
                if (run.User.IsRoot)
                {
                    log.Warn(Diagnostics.RunningAsRoot(run.Agent.DisplayName));
                }
                // The agent changes the live tree, so the way back is recorded before it starts.
                var checkpoint = TakeCheckpoint(run);
                var ran = (await PresetRunner.RunAsync(run, imageTag, containers, log, cancellationToken, checkpoint: checkpoint, before: before).ConfigureAwait(false)).StoppedBy(whyStopped);
                return ran with { Checkpoint = checkpoint?.Id, Cache = new RunCache(key, Hit: false, run.Identity.RunId) };
            }
        }
        if (result is { Success: true, Cache: { Hit: false } ran })
        {
            new RunRecord(ran.Key, ran.Run, result.Findings ?? []).Write(resultPath);
        }
        if (result.Cache is not { Hit: true })
        {
            await KeptSessions.PruneAsync(run, containers, log).ConfigureAwait(false);
        }
        var error = RunReport.Verdict(result, run, resultPath);
        ResultDocument.From(result, run, RunReport.RecordedError(result, error)).WriteTo(resultPath, run.WorkspaceRoot, agentUid);
        StepSummary.AppendTo(spec.StepSummaryFile, result, run);
        if (result.AgentSucceeded && !result.ReportedOutcome && run.Agent.PrintsResultEvent(run.Invocation.Version))
        {
            log.Warn(Diagnostics.NoResultEvent(run.Agent.DisplayName));
        }
        // Reported also when the run then failed: what the agent changed must be seen either way.
        RunReport.Log(result, run, log);
        return new AgentTargetOutcome(result, resultPath, error);

        void Waiting(string holder) =>
            log.Important($"{run.Label}: waiting for {holder}, which is running an agent in the same workspace {run.WorkspaceRoot}; agents take turns in a live tree.");

        void Reading(string holder) =>
            log.Info($"{run.Label}: waiting for {holder} to finish reading or writing the workspace {run.WorkspaceRoot}.");
    }

    /// <summary>
    /// A run whose key is that of its target's last successful run, as this machine recorded it: nothing it reads
    /// changed, and the same agent would be paid to say the same. Its findings are repeated; AgentForce runs it anyway.
    /// </summary>
    private AgentRunResult? Unchanged(AgentRunSpec run, string imageTag, string key, string resultPath)
    {
        if (run.Force || RunRecord.Read(resultPath) is not { } last || last.Key != key)
        {
            return null;
        }
        log.Important($"{run.Label}: skipped: nothing it reads changed since its last successful run ({last.Run}); AgentForce=true runs it anyway.");
        return AgentRunResult.Skipped(run, imageTag, new RunCache(key, Hit: true, last.Run), last.Findings);
    }

    /// <summary>
    /// AgentDryRun: what the target would ask of the engine, as the equivalent docker commands (variables by name only),
    /// the agent's container in the shape it would have; AgentFix's and AgentVerify's builds run in containers of the same shape.
    /// </summary>
    public static IReadOnlyList<string> DryRun(SandboxSpec spec, string contextDirectory)
    {
        var run = spec.Run ?? throw new ArgumentException("An agent target needs a run spec.", nameof(spec));
        var image = run.Egress is null ? "agentsandbox:<hash>" : "agentsandbox:<hash>-egress-<proxy's hash>";
        var request = SandboxContainer.Create(run, image, RunAgentContainerStep.Purpose, run.Command, run.Environment, run.Preset.ReadOnlyWorkspace, agentCredentials: true,
            stdin: run.Stdin);
        if (run.Policy.Mode != WorkspaceMode.Mount)
        {
            // Copied in and, unless the agent only reads, taken back; no mount of the user's tree.
            request = request with
            {
                Mounts = [],
                Files = new ContainerFiles(() => Stream.Null, Common.SandboxPaths.Workspace, run.User, run.Limits.WorkspaceInMemory(0),
                    run.Preset.ReadOnlyWorkspace ? null : (_, _) => Task.CompletedTask) { ChangedOnly = true },
            };
        }
        List<string> build = [DockerCommands.Build(contextDirectory, SandboxBuildContext.Dockerfile, spec.ImageBuild.Network)];
        if (run.Egress is not null)
        {
            // The proxy added on top, from the package: a Dockerfile of two lines and the program.
            build.Add($"printf {Text.Quote(EgressImage.Dockerfile("agentsandbox:<hash>").Replace("\n", "\\n"))} | docker build -f - -t {Text.Quote(image)} <folder holding agentsandbox-egress>");
        }
        if (run.Cluster is not { } cluster)
        {
            return [.. build, .. DockerCommands.Run(request)];
        }
        if (cluster.ImageRegistry is { } registry)
        {
            // Pushed, and run by the digest the registry gives it.
            build.Add(Text.CommandLine(["docker", "tag", image, $"{registry}/{image}"]));
            build.Add(Text.CommandLine(["docker", "push", $"{registry}/{image}"]));
            request = request with { Image = $"{registry}/agentsandbox@<digest the push printed>" };
        }
        return [.. build, .. PodCommands.Run(request, cluster.Namespace)];
    }

    /// <summary>Copy mode's changeset as a patch next to result.json, applied or not.</summary>
    public const string PatchFileName = "changes.patch";

    /// <summary>
    /// Worktree mode: copy mode on a worktree of the repository made for the run (no lock: the user's tree is not
    /// touched, so agents need not take turns), its checked changes committed to the run's branch.
    /// </summary>
    private async Task<AgentRunResult> RunInWorktreeAsync(AgentRunSpec run, string imageTag, string patchPath, string resultPath, CancellationToken cancellationToken)
    {
        using var worktree = AgentWorktree.Create(run.WorkspaceRoot, run.Identity.RunId);
        var inWorktree = run with
        {
            ProjectDirectory = worktree.Map(run.ProjectDirectory),
            Workspace = run.Workspace with { Root = worktree.Map(run.WorkspaceRoot) },
        };
        using var copy = WorkspaceCopy.Pack(inWorktree.WorkspaceRoot, run.User);
        var key = RunCacheKey.Of(inWorktree, imageTag, copy.Before.Values);
        if (Unchanged(inWorktree, imageTag, key, resultPath) is { } unchanged)
        {
            return unchanged;
        }
        var result = (await PresetRunner.RunAsync(inWorktree, imageTag, containers, log, cancellationToken, copy).ConfigureAwait(false)).StoppedBy(() => Diagnostics.Cancelled("the build was cancelled"));
        result = Deliver(result, inWorktree, copy, patchPath, toUserTree: false) with { Cache = new RunCache(key, Hit: false, run.Identity.RunId) };
        if (result.Applied != true)
        {
            return result;
        }
        var task = (run.Preset.Task ?? run.Preset.Kind.ToString()).Split('\n')[0].Trim();
        var statistics = worktree.Commit($"{run.Label}: {task}\n\nMade by {run.Agent.Describe(run.Invocation.Version)} in AgentSandbox run {run.Identity.RunId}.");
        log.Important($"{run.Label}: the agent's changes are on branch {worktree.Branch} ({statistics ?? "no change"}); git diff HEAD...{worktree.Branch} shows them, git merge {worktree.Branch} takes them.");
        return result with { Branch = worktree.Branch };
    }

    /// <summary>AgentRuntime as the engine has it: a missing one falls back to the default with a warning, or fails (AgentRuntimeFallback=false).</summary>
    private async Task<AgentRunSpec> ResolveRuntimeAsync(AgentRunSpec run, CancellationToken cancellationToken)
    {
        if (run.Runtime is not { } wanted)
        {
            return run;
        }
        var available = await containers.RuntimesAsync(cancellationToken).ConfigureAwait(false);
        if (available.Contains(wanted, StringComparer.Ordinal))
        {
            return run;
        }
        if (!run.RuntimeFallback)
        {
            throw Diagnostics.RuntimeMissing(wanted, available);
        }
        log.Warn(Diagnostics.RuntimeFallback(wanted, available));
        return run with { Runtime = null };
    }

    private Checkpoint TakeCheckpoint(AgentRunSpec run)
    {
        var checkpoint = Checkpoint.Take(run.WorkspaceRoot, run.Identity.RunId);
        // One checkpoint a target: the one before the run (mount mode) or before its changes are applied (copy mode).
        _pruning = Task.Run(() => Checkpoint.Prune(run.WorkspaceRoot, run.Policy.CheckpointsToKeep));
        log.Important($"{run.Label}: checkpoint {checkpoint.Id} keeps your tree as it was ({checkpoint.GitReference ?? checkpoint.Archive}); {checkpoint.RestoreCommand} goes back to it.");
        return checkpoint;
    }

    /// <summary>
    /// Copy mode: the agent's changes reach the user's tree only now, all together, and only when the run succeeded,
    /// the check refused nothing, and the tree still holds what was copied in (the user may have edited it meanwhile).
    /// Either way they are kept as a patch: to undo an applied one (git apply -R), or to take an unapplied one.
    /// </summary>
    /// <param name="toUserTree">The changes go to the user's tree (a checkpoint first); false for a worktree made for the run.</param>
    private AgentRunResult Deliver(AgentRunResult result, AgentRunSpec run, WorkspaceCopy copy, string patchPath, bool toUserTree)
    {
        if (result.Changeset is not { IsEmpty: false } changes)
        {
            return result with { Applied = false };
        }
        // Masked like everything we write: an agent may have put a credential into a file.
        var patch = ChangesetPatch.Create(changes, run.WorkspaceRoot) is { } text ? run.Redact(text) : null;
        if (patch is not null)
        {
            SafeFiles.Write(patchPath, System.Text.Encoding.UTF8.GetBytes(patch), run.WorkspaceRoot);
        }
        var shownPatch = patch is null ? null : patchPath;
        result = result with { PatchFile = patch is null ? null : patchPath };
        var conflicts = result.Success ? ChangesetApply.Conflicts(changes, copy.Before, run.WorkspaceRoot) : [];
        if (!result.Success || conflicts.Count > 0)
        {
            log.Important(shownPatch is null
                ? $"{run.Label}: nothing was applied to your tree (install git to get the agent's changes as a patch)."
                : $"{run.Label}: nothing was applied to your tree; the agent's changes are in {shownPatch} (git apply {shownPatch} takes them).");
            return conflicts.Count == 0 ? result with { Applied = false }
                : result with { Applied = false, Failure = Diagnostics.TreeChangedDuringRun(run.Reportable(conflicts.Select(path => new ChangedFile(path, FileChange.Modified)).ToList()).Select(file => file.Path), shownPatch) };
        }
        if (!toUserTree)
        {
            ChangesetApply.ApplyTo(changes, run.WorkspaceRoot);
            return result with { Applied = true };
        }
        var checkpoint = TakeCheckpoint(run);
        try
        {
            ChangesetApply.ApplyTo(changes, run.WorkspaceRoot);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or AgentSandboxException)
        {
            // All or nothing: what was written before the failure is taken back.
            checkpoint.Restore();
            return result with { Applied = false, Checkpoint = checkpoint.Id, Failure = Diagnostics.ApplyFailed(exception.Message, checkpoint.Id) };
        }
        log.Important(shownPatch is null
            ? $"{run.Label}: applied {Common.Text.Count(changes.Entries.Count, "change")} to {run.WorkspaceRoot}."
            : $"{run.Label}: applied {Common.Text.Count(changes.Entries.Count, "change")} to {run.WorkspaceRoot} (git apply -R {shownPatch} undoes them).");
        return result with { Applied = true, Checkpoint = checkpoint.Id };
    }
}
