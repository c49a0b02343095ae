using System.Numerics;
using AgentSandbox.Common;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Run;
using AgentSandbox.Run.Steps;
using AgentSandbox.Spec;
using AgentSandbox.Verification;
using AgentSandbox.Workspace;

namespace AgentSandbox.Presets;

/// <summary>
/// AgentFix: build; while it has errors and rounds are left, give the agent the build's own diagnostics and build
/// again. Every build runs inside the sandbox: the code under repair is the agent's.
/// </summary>
internal sealed class FixLoop(AgentRunner rounds)
{
    /// <summary>How many of the build's diagnostics a round's prompt holds, errors first.</summary>
    private const int DiagnosticsPerRound = 50;

    /// <param name="copy">Copy mode: the workspace as the sandbox holds it (each round and build starts from the last round's tree); null to mount the user's tree.</param>
    /// <param name="taken">Mount mode: the workspace as the caller has just taken it; null to take it here.</param>
    public async Task<AgentRunResult> RunAsync(
        AgentRunSpec spec, string imageTag, IContainerEngine engine, ISandboxLog log, CancellationToken cancellationToken,
        WorkspaceCopy? copy = null, Checkpoint? checkpoint = null, WorkspaceSnapshot? taken = null)
    {
        var preset = spec.Preset;
        // Each round starts from where the last one left the tree (the sandbox builds in between only read it).
        var before = copy is null ? taken ?? WorkspaceSnapshot.Take(spec.WorkspaceRoot) : null;
        var current = before;
        var refusals = new List<ChangeRefusal>();
        var runs = new List<AgentRunResult>();
        var iterations = new List<FixIteration>();
        AgentRunResult Combined(VerificationResult? verification, Exception? failure) =>
            Combine(spec, imageTag, copy, before is null ? [] : before.ChangesTo(current!), runs, iterations, verification, failure, refusals);
        VerificationResult? build = null;
        try
        {
            await CheckNetworkStep.EnsureAsync(spec, engine, cancellationToken).ConfigureAwait(false);
            build = await SandboxBuild.RunAsync(spec, imageTag, engine, VerifyMode.Build, log, cancellationToken, copy).ConfigureAwait(false);
            while (!build.Succeeded && iterations.Count < preset.MaxIterations)
            {
                if (build.ErrorCount == 0)
                {
                    // Nothing to hand the agent: rounds would cost money without a chance of success.
                    throw Diagnostics.SandboxBuildFailedUnexplained(build.ExitCode, build.LastLines);
                }
                var number = iterations.Count + 1;
                log.Important($"{spec.Label}: iteration {number}/{preset.MaxIterations}: the build has {Text.Count(build.ErrorCount, "error")} and {Text.Count(build.WarningCount, "warning")}.");
                // The loop builds after each round itself; the round's own verification would only build twice. A round
                // after the first continues the last one's session, where the CLI keeps them: the agent keeps what it learned.
                var round = spec with
                {
                    Invocation = spec.Invocation with
                    {
                        Prompt = PresetPrompts.Compose(preset, FixInput(build)),
                        ResumeSession = spec.Sessions is not null && runs.LastOrDefault()?.SessionId is { } last ? last : spec.Invocation.ResumeSession,
                    },
                    Preset = preset with { Verify = VerifyMode.None },
                };
                var run = await rounds.RunAsync(round, imageTag, engine, log, cancellationToken, copy, current, checkpoint).ConfigureAwait(false);
                runs.Add(run);
                current = run.After ?? current;
                refusals.AddRange(run.Refusals ?? []);
                iterations.Add(new FixIteration(number, build.ErrorCount, build.WarningCount, run.AgentSucceeded, run.NumTurns, run.CostUsd, run.DurationMs));
                // An agent that planted git metadata or made a change the check refuses gets no further round.
                if (!run.AgentSucceeded || run.PlantedGitMetadata is not null || refusals.Count > 0)
                {
                    return Combined(verification: null, run.Failure);
                }
                build = await SandboxBuild.RunAsync(spec, imageTag, engine, VerifyMode.Build, log, cancellationToken, copy).ConfigureAwait(false);
            }
            log.Important(build.Succeeded
                ? $"{spec.Label}: the build is clean{(iterations.Count == 0 ? "; there was nothing to fix" : $" after {Text.Count(iterations.Count, "iteration")}")}."
                : $"{spec.Label}: the build still has {Text.Count(build.ErrorCount, "error")} after {Text.Count(iterations.Count, "iteration")} (AgentMaxIterations).");
            if (build.Succeeded && preset.Verify == VerifyMode.Test)
            {
                build = await SandboxBuild.RunAsync(spec, imageTag, engine, VerifyMode.Test, log, cancellationToken, copy).ConfigureAwait(false);
            }
            return Combined(build, failure: null);
        }
        catch (Exception exception) when (exception is AgentSandboxException or OperationCanceledException)
        {
            // Like a single run: the failure travels in the result, so result.json is written either way.
            return Combined(build, exception);
        }
        finally
        {
            await DiscardSessionsAsync(spec, engine, log).ConfigureAwait(false);
        }
    }

    /// <summary>The rounds' conversations, when they were kept for this run only; what cannot be removed now AgentSandboxClean removes.</summary>
    private static async Task DiscardSessionsAsync(AgentRunSpec spec, IContainerEngine engine, ISandboxLog log)
    {
        if (spec.Sessions is not { Discard: true } sessions)
        {
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await engine.RemoveAsync(new EngineResource(ResourceKind.Volume, sessions.Volume, sessions.Volume, new Dictionary<string, string>()), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is AgentSandboxException or OperationCanceledException)
        {
            log.Info($"{spec.Label}: the rounds' session volume {sessions.Volume} was not removed ({failure.Message}); AgentSandboxClean removes it.");
        }
    }

    /// <summary>Errors first: they are what blocks the build, and a long list of warnings must not bury them.</summary>
    private static List<BuildDiagnostic> FixInput(VerificationResult build) =>
        build.Diagnostics.OrderBy(d => d.IsError ? 0 : 1).Take(DiagnosticsPerRound).ToList();

    /// <summary>One result for the whole target: totals over the rounds, the last round's words, every changed file.</summary>
    /// <param name="mountedChanges">Mount mode: the workspace's changes since before the first round.</param>
    private static AgentRunResult Combine(
        AgentRunSpec spec, string imageTag, WorkspaceCopy? copy, IReadOnlyList<ChangedFile> mountedChanges, List<AgentRunResult> runs, List<FixIteration> iterations,
        VerificationResult? verification, Exception? failure, List<ChangeRefusal> refusals)
    {
        // Copy mode: against the tree copied in, so a file added in one round and edited in the next is added.
        var changeset = copy is null ? null : runs.LastOrDefault()?.Changeset;
        var changedFiles = changeset?.Files ?? mountedChanges;
        var last = runs.LastOrDefault();
        var errors = runs.SelectMany(run => run.Errors).ToList();
        if (last?.Failure != failure && AgentRunResult.Describe(failure) is { } stopped)
        {
            errors.Add(stopped);
        }
        return new AgentRunResult(
            Target: spec.TargetName,
            Agent: spec.Agent.Kind,
            AgentVersion: spec.Invocation.Version.ToNormalizedString(),
            Image: imageTag,
            ExitCode: last?.ExitCode,
            DurationMs: runs.Sum(run => run.DurationMs) + (verification?.DurationMs ?? 0),
            NumTurns: Sum(runs.Select(run => run.NumTurns)),
            CostUsd: Sum(runs.Select(run => run.CostUsd)),
            InputTokens: Sum(runs.Select(run => run.InputTokens)),
            OutputTokens: Sum(runs.Select(run => run.OutputTokens)),
            FinalText: last?.FinalText,
            Errors: errors,
            PermissionDenials: runs.Sum(run => run.PermissionDenials),
            // Against the tree before the first round: a file added in one round and edited in the next is added.
            ChangedFiles: spec.Reportable(changedFiles))
        {
            AgentSucceeded = runs.All(run => run.AgentSucceeded),
            Changeset = changeset,
            Refusals = refusals.Count > 0 ? refusals : null,
            PlantedGitMetadata = runs.SelectMany(run => run.PlantedGitMetadata ?? []).ToList() is { Count: > 0 } planted ? planted : null,
            ReportedOutcome = runs.All(run => run.ReportedOutcome),
            LastWords = last?.LastWords,
            CredentialRejectedStatus = last?.CredentialRejectedStatus,
            SessionId = last?.SessionId,
            Failure = failure,
            Verification = verification,
            Iterations = iterations,
        };
    }

    /// <summary>The total of what the rounds reported; null when none reported it.</summary>
    private static T? Sum<T>(IEnumerable<T?> values) where T : struct, INumber<T> =>
        values.Any(v => v.HasValue) ? values.Aggregate(T.Zero, (total, value) => total + (value ?? T.Zero)) : null;
}
