using System.Text.Json.Serialization;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Review;
using AgentSandbox.Verification;

namespace AgentSandbox.Run;

/// <summary>What happened in one run; written as result.json (also when the run failed) and turned into build messages.</summary>
/// <param name="ExitCode">The agent's exit code; null when it never ran to an exit (engine failure, cancellation).</param>
public sealed record AgentRunResult(
    string Target,
    string Agent,
    string AgentVersion,
    string Image,
    long? ExitCode,
    bool Success,
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
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public VerificationResult? Verification { get; init; }

    /// <summary>AgentReview's findings.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ReviewFinding>? Findings { get; init; }

    /// <summary>AgentFix's rounds of build and agent run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<FixIteration>? Iterations { get; init; }

    /// <summary>True when the agent itself ran to a successful end, whatever a verification or review policy says.</summary>
    public bool AgentSucceeded { get; init; }

    /// <summary>What the agent said last about a failure: its errors, its final text, or its last output lines.</summary>
    public string? LastWords { get; init; }

    /// <summary>Whether the CLI printed a final event (turns, tokens); without one the agent's accounting is unknown.</summary>
    [JsonIgnore]
    public bool ReportedOutcome { get; init; }

    /// <summary>Git metadata the agent created, renamed out of git's way (AGS4008).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? PlantedGitMetadata { get; init; }

    /// <summary>AgentReview: the agent's answer held neither findings nor NO FINDINGS (AGS4009).</summary>
    public bool ReviewUnanswered { get; init; }

    /// <summary>The workspace after the run, for a caller whose next run starts from it (AgentFix's rounds).</summary>
    [JsonIgnore]
    public WorkspaceSnapshot? After { get; init; }

    /// <summary>Set when the API refused the credential and the run was stopped.</summary>
    public int? CredentialRejectedStatus { get; init; }

    /// <summary>Why the run could not finish (engine, network, cancellation); rethrown after result.json is written.</summary>
    [JsonIgnore]
    public Exception? Failure { get; init; }

    public static AgentRunResult From(AgentRunContext context, Exception? failure = null)
    {
        var outcome = context.Outcome;
        var finalText = outcome?.FinalText ?? context.LastMessage;
        var failOn = context.Spec.Preset.FailOn;
        var success = failure is null && context.AgentSucceeded
            && context.Verification?.Succeeded != false
            && context.PlantedGitMetadata.Count == 0
            && !context.ReviewUnanswered
            && !(context.Findings ?? []).Any(finding => finding.FailsBuild(failOn));
        var agentErrors = outcome?.Errors ?? [];
        // The CLI's exit code is all some failures leave (an error printed to standard error only).
        if (agentErrors.Count == 0 && !context.AgentSucceeded && context.ExitCode is { } exitCode and not 0
            && context.Spec.Agent.ExplainExitCode(exitCode) is { } meaning)
        {
            agentErrors = [$"exit code {exitCode}: {meaning}"];
        }
        var errors = agentErrors.ToList();
        if (failure is AgentSandboxException coded)
        {
            errors.Add($"{coded.Code}: {coded.Message}");
        }
        else if (failure is OperationCanceledException)
        {
            errors.Add("The build was cancelled.");
        }
        return new AgentRunResult(
            Target: context.Spec.TargetName,
            Agent: context.Spec.Agent.Kind,
            AgentVersion: context.Spec.Invocation.Version.ToNormalizedString(),
            Image: context.ImageTag,
            ExitCode: context.ExitCode,
            Success: success,
            DurationMs: outcome?.DurationMs ?? (long)context.Elapsed.TotalMilliseconds,
            NumTurns: outcome?.NumTurns,
            CostUsd: outcome?.CostUsd,
            InputTokens: outcome?.InputTokens,
            OutputTokens: outcome?.OutputTokens,
            FinalText: finalText,
            Errors: errors,
            PermissionDenials: outcome?.PermissionDenials ?? 0,
            ChangedFiles: context.ChangedFiles)
        {
            LastWords = context.AgentSucceeded && failure is null ? null : LastWordsOf(context, agentErrors, finalText),
            // The agent's own verdict: a failure after it ended well (a sandbox build's engine error) is not the agent's.
            AgentSucceeded = context.AgentSucceeded,
            PlantedGitMetadata = context.PlantedGitMetadata.Count > 0 ? context.PlantedGitMetadata.ToList() : null,
            ReviewUnanswered = context.ReviewUnanswered,
            After = context.After,
            ReportedOutcome = outcome is not null,
            Verification = context.Verification,
            Findings = context.Findings,
            CredentialRejectedStatus = context.CredentialRejected,
            Failure = failure,
        };
    }

    private static string LastWordsOf(AgentRunContext context, IReadOnlyList<string> errors, string? finalText)
    {
        if (errors.Count > 0)
        {
            return string.Join("; ", errors);
        }
        if (!string.IsNullOrWhiteSpace(finalText))
        {
            return finalText;
        }
        return context.OutputTail.Count > 0
            ? string.Join(Environment.NewLine, context.OutputTail)
            : "it printed nothing; run with -v:detailed to see the container's output";
    }
}

/// <summary>One round of AgentFix: the build's problems going in, and what the agent made of them.</summary>
public sealed record FixIteration(int Number, int Errors, int Warnings, bool AgentSucceeded, int? NumTurns, decimal? CostUsd, long DurationMs);
