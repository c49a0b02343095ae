using System.Numerics;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Reporting;
using AgentSandbox.Run;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Presets;

/// <summary>
/// Runs a target's spec: one agent run for AgentRun, AgentRefactor, AgentTest and AgentReview (their policy lives in
/// the run's steps), and for AgentFix rounds of sandbox build and agent run until the build is clean.
/// </summary>
public static class PresetRunner
{
    public static Task<AgentRunResult> RunAsync(AgentRunSpec spec, string imageTag, DockerEngine engine, ISandboxLog log, CancellationToken cancellationToken) =>
        spec.Preset.Kind == AgentPreset.Fix
            ? FixAsync(spec, imageTag, engine, log, cancellationToken)
            : AgentRunner.Default.RunAsync(spec, imageTag, engine, log, cancellationToken);

    /// <summary>
    /// Build; while it has errors and rounds are left, give the agent the build's own diagnostics and build again.
    /// Every build runs inside the sandbox: the code under repair is the agent's.
    /// </summary>
    private static async Task<AgentRunResult> FixAsync(AgentRunSpec spec, string imageTag, DockerEngine engine, ISandboxLog log, CancellationToken cancellationToken)
    {
        var preset = spec.Preset;
        // Each round starts from where the last one left the tree (the sandbox builds in between only read it).
        var before = WorkspaceSnapshot.Take(spec.WorkspaceRoot);
        var current = before;
        var runs = new List<AgentRunResult>();
        var iterations = new List<FixIteration>();
        VerificationResult? build = null;
        try
        {
            await CheckNetworkStep.EnsureAsync(spec, engine, cancellationToken).ConfigureAwait(false);
            build = await SandboxBuild.RunAsync(spec, imageTag, engine, VerifyMode.Build, log, cancellationToken).ConfigureAwait(false);
            while (!build.Succeeded && iterations.Count < preset.MaxIterations)
            {
                if (build.ErrorCount == 0)
                {
                    // Nothing to hand the agent: rounds would cost money without a chance of success.
                    throw Diagnostics.SandboxBuildFailedUnexplained(build.ExitCode, build.LastLines);
                }
                var number = iterations.Count + 1;
                log.Important($"{spec.TargetName}: iteration {number}/{preset.MaxIterations}: the build has {RunReport.Count(build.ErrorCount, "error")} and {RunReport.Count(build.WarningCount, "warning")}.");
                // The loop builds after each round itself; the round's own verification would only build twice.
                var round = spec with
                {
                    Invocation = spec.Invocation with { Prompt = PresetPrompts.Compose(preset, FixInput(build)) },
                    Preset = preset with { Verify = VerifyMode.None },
                };
                var run = await AgentRunner.Default.RunAsync(round, imageTag, engine, log, cancellationToken, current).ConfigureAwait(false);
                runs.Add(run);
                current = run.After ?? current;
                iterations.Add(new FixIteration(number, build.ErrorCount, build.WarningCount, run.AgentSucceeded, run.NumTurns, run.CostUsd, run.DurationMs));
                // An agent that planted git metadata gets no further round.
                if (!run.AgentSucceeded || run.PlantedGitMetadata is not null)
                {
                    return Combine(spec, imageTag, before.ChangesTo(current), runs, iterations, verification: null, run.Failure);
                }
                build = await SandboxBuild.RunAsync(spec, imageTag, engine, VerifyMode.Build, log, cancellationToken).ConfigureAwait(false);
            }
            log.Important(build.Succeeded
                ? $"{spec.TargetName}: the build is clean{(iterations.Count == 0 ? "; there was nothing to fix" : $" after {RunReport.Count(iterations.Count, "iteration")}")}."
                : $"{spec.TargetName}: the build still has {RunReport.Count(build.ErrorCount, "error")} after {RunReport.Count(iterations.Count, "iteration")} (AgentMaxIterations).");
            if (build.Succeeded && preset.Verify == VerifyMode.Test)
            {
                build = await SandboxBuild.RunAsync(spec, imageTag, engine, VerifyMode.Test, log, cancellationToken).ConfigureAwait(false);
            }
            return Combine(spec, imageTag, before.ChangesTo(current), runs, iterations, build, failure: null);
        }
        catch (Exception exception) when (exception is AgentSandboxException or OperationCanceledException)
        {
            // Like a single run: the failure travels in the result, so result.json is written either way.
            return Combine(spec, imageTag, before.ChangesTo(current), runs, iterations, build, exception);
        }
    }

    /// <summary>Errors first: they are what blocks the build, and a long list of warnings must not bury them.</summary>
    private static List<BuildDiagnostic> FixInput(VerificationResult build) =>
        build.Diagnostics.OrderBy(d => d.IsError ? 0 : 1).Take(50).ToList();

    /// <summary>One result for the whole target: totals over the rounds, the last round's words, every changed file.</summary>
    private static AgentRunResult Combine(
        AgentRunSpec spec, string imageTag, IReadOnlyList<ChangedFile> changedFiles, List<AgentRunResult> runs, List<FixIteration> iterations,
        VerificationResult? verification, Exception? failure)
    {
        var last = runs.LastOrDefault();
        var errors = runs.SelectMany(run => run.Errors).ToList();
        if (failure is AgentSandboxException coded && last?.Failure != failure)
        {
            errors.Add($"{coded.Code}: {coded.Message}");
        }
        var agentSucceeded = runs.All(run => run.AgentSucceeded);
        return new AgentRunResult(
            Target: spec.TargetName,
            Agent: spec.Agent.Kind,
            AgentVersion: spec.Invocation.Version.ToNormalizedString(),
            Image: imageTag,
            ExitCode: last?.ExitCode,
            Success: failure is null && agentSucceeded && verification?.Succeeded == true && runs.All(run => run.PlantedGitMetadata is null),
            DurationMs: runs.Sum(run => run.DurationMs) + (verification?.DurationMs ?? 0),
            NumTurns: Sum(runs.Select(run => run.NumTurns)),
            CostUsd: Sum(runs.Select(run => run.CostUsd)),
            InputTokens: Sum(runs.Select(run => run.InputTokens)),
            OutputTokens: Sum(runs.Select(run => run.OutputTokens)),
            FinalText: last?.FinalText,
            Errors: errors,
            PermissionDenials: runs.Sum(run => run.PermissionDenials),
            // Against the tree before the first round: a file added in one round and edited in the next is added.
            ChangedFiles: changedFiles)
        {
            AgentSucceeded = agentSucceeded,
            PlantedGitMetadata = runs.SelectMany(run => run.PlantedGitMetadata ?? []).ToList() is { Count: > 0 } planted ? planted : null,
            ReportedOutcome = runs.All(run => run.ReportedOutcome),
            LastWords = last?.LastWords,
            CredentialRejectedStatus = last?.CredentialRejectedStatus,
            Failure = failure,
            Verification = verification,
            Iterations = iterations,
        };
    }

    /// <summary>The total of what the rounds reported; null when none reported it.</summary>
    private static T? Sum<T>(IEnumerable<T?> values) where T : struct, INumber<T> =>
        values.Any(v => v.HasValue) ? values.Aggregate(T.Zero, (total, value) => total + (value ?? T.Zero)) : null;
}
