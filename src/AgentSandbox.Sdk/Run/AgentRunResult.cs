using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Review;
using AgentSandbox.Spec;
using AgentSandbox.Verification;
using AgentSandbox.Workspace;

namespace AgentSandbox.Run;

/// <summary>
/// What happened in one target's run, in memory: what result.json publishes (see <c>Reporting.ResultDocument</c>)
/// and the run state the report and AgentFix's rounds still need.
/// </summary>
/// <param name="ExitCode">The agent's exit code; null when it never ran to an exit (engine failure, cancellation).</param>
internal sealed record AgentRunResult(
    string Target,
    string Agent,
    string AgentVersion,
    string Image,
    long? ExitCode,
    long DurationMs,
    int? NumTurns,
    decimal? CostUsd,
    long? InputTokens,
    long? OutputTokens,
    string? FinalText,
    IReadOnlyList<string> Errors,
    int PermissionDenials,
    IReadOnlyList<ChangedFile> ChangedFiles)
{
    /// <summary>The build or test inside the sandbox that checked the agent's work (AgentVerify, AgentFix).</summary>
    public VerificationResult? Verification { get; init; }

    /// <summary>AgentReview's findings.</summary>
    public IReadOnlyList<ReviewFinding>? Findings { get; init; }

    /// <summary>Which findings fail the target (AgentReviewFailOn).</summary>
    public ReviewFailOn FailOn { get; init; } = ReviewFailOn.Error;

    /// <summary>AgentFix's rounds of build and agent run.</summary>
    public IReadOnlyList<FixIteration>? Iterations { get; init; }

    /// <summary>True when the agent itself ran to a successful end, whatever a verification or review policy says.</summary>
    public bool AgentSucceeded { get; init; }

    /// <summary>What the agent said last about a failure: its errors, its final text, or its last output lines.</summary>
    public string? LastWords { get; init; }

    /// <summary>Whether the CLI printed a final event (turns, tokens); without one the agent's accounting is unknown.</summary>
    public bool ReportedOutcome { get; init; }

    /// <summary>Git metadata the agent created, renamed out of git's way (AGS4008).</summary>
    public IReadOnlyList<string>? PlantedGitMetadata { get; init; }

    /// <summary>AgentWorkspaceMode copy: the agent's changes with their contents, to apply or to write as a patch; null in mount mode.</summary>
    public Changeset? Changeset { get; init; }

    /// <summary>Changes the changeset check refused (AGS4008, AGS4012–AGS4014): then none is applied.</summary>
    public IReadOnlyList<ChangeRefusal>? Refusals { get; init; }

    /// <summary>Copy mode: whether the changeset reached the user's tree; null in mount mode (the changes are live).</summary>
    public bool? Applied { get; init; }

    /// <summary>Worktree mode: the branch the agent's checked changes were committed to.</summary>
    public string? Branch { get; init; }

    /// <summary>The checkpoint of the tree before the run changed it (mount mode) or before its changes were applied (copy mode).</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Copy mode: the changeset as a patch git apply takes, applied or not (git apply -R undoes an applied one).</summary>
    public string? PatchFile { get; init; }

    /// <summary>AgentReview: the agent's answer held neither findings nor NO FINDINGS (AGS4009).</summary>
    public bool ReviewUnanswered { get; init; }

    /// <summary>The workspace after the run, for a caller whose next run starts from it (AgentFix's rounds).</summary>
    public WorkspaceSnapshot? After { get; init; }

    /// <summary>Set when the API refused the credential and the run was stopped.</summary>
    public int? CredentialRejectedStatus { get; init; }

    /// <summary>Copy mode: the run's cache key; a hit is a run skipped because nothing it reads changed since its last success.</summary>
    public RunCache? Cache { get; init; }

    /// <summary>The CLI's session (thread) id: a later run continues the conversation with it (AgentResume, AgentFix's rounds).</summary>
    public string? SessionId { get; init; }

    /// <summary>The cluster's pod the agent ran in (AgentEngine=kubernetes); null on a Docker engine.</summary>
    public ContainerPlacement? Placement { get; init; }

    /// <summary>Why the run could not finish (engine, network, cancellation); rethrown after result.json is written.</summary>
    public Exception? Failure { get; init; }

    /// <summary>
    /// The target succeeded: it ran to its end, the agent ended well, the verification (if any) passed, the agent
    /// planted no git metadata, and a review answered without a finding that fails the build. The one place this is decided.
    /// </summary>
    public bool Success => Failure is null && AgentSucceeded
        && Verification?.Succeeded != false
        && PlantedGitMetadata is null
        && Refusals is null
        && !ReviewUnanswered
        && !(Findings ?? []).Any(finding => finding.FailsBuild(FailOn));

    /// <summary>A run that stopped before its agent started (the image could not be made, the build was cancelled).</summary>
    /// <summary>
    /// A run skipped because its cache key is that of the last successful run of the same target: nothing ran, nothing
    /// changed, and an AgentReview reports that run's findings again.
    /// </summary>
    public static AgentRunResult Skipped(AgentRunSpec spec, string image, RunCache cache, IReadOnlyList<Review.ReviewFinding>? findings) => new(
        spec.TargetName, spec.Agent.Kind, spec.Invocation.Version.ToNormalizedString(), image,
        ExitCode: null, DurationMs: 0, NumTurns: null, CostUsd: null, InputTokens: null, OutputTokens: null, FinalText: null,
        Errors: [], PermissionDenials: 0, ChangedFiles: [])
    {
        FailOn = spec.Preset.FailOn,
        AgentSucceeded = true,
        ReportedOutcome = true,
        Findings = findings,
        Cache = cache,
    };

    public static AgentRunResult NotRun(AgentRunSpec spec, string image, Exception failure) => new(
        spec.TargetName, spec.Agent.Kind, spec.Invocation.Version.ToNormalizedString(), image,
        ExitCode: null, DurationMs: 0, NumTurns: null, CostUsd: null, InputTokens: null, OutputTokens: null, FinalText: null,
        Errors: Describe(failure) is { } stopped ? [stopped] : [], PermissionDenials: 0, ChangedFiles: [])
    {
        FailOn = spec.Preset.FailOn,
        Failure = failure,
    };

    /// <summary>
    /// A run the build's cancellation stopped, with the coded error that says why (cancelled, timed out) in place of
    /// the bare cancellation, so that result.json and the build's error name it; any other run as it is.
    /// </summary>
    public AgentRunResult StoppedBy(Func<AgentSandboxException> why)
    {
        if (Failure is not OperationCanceledException cancelled)
        {
            return this;
        }
        var coded = why();
        return this with { Failure = coded, Errors = [.. Errors.Where(error => error != Describe(cancelled)), Describe(coded)!] };
    }

    /// <summary>The AGS error of <see cref="Failure"/> as one line for <see cref="Errors"/>; null for none.</summary>
    public static string? Describe(Exception? failure) => failure switch
    {
        AgentSandboxException coded => $"{coded.Code}: {coded.Message}",
        OperationCanceledException => "The build was cancelled.",
        _ => null,
    };
}

/// <summary>One round of AgentFix: the build's problems going in, and what the agent made of them.</summary>
internal sealed record FixIteration(int Number, int Errors, int Warnings, bool AgentSucceeded, int? NumTurns, decimal? CostUsd, long DurationMs);

/// <summary>A run's cache key, whether it was a hit, and the run whose outcome the result is (this one, or the one a hit repeats).</summary>
internal sealed record RunCache(string Key, bool Hit, string Run);
