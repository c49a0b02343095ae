using System.Text.Json.Serialization;
using AgentSandbox.Agents;
using AgentSandbox.Errors;

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
    string? Summary,
    IReadOnlyList<string> Errors,
    int PermissionDenials,
    IReadOnlyList<ChangedFile> ChangedFiles)
{
    /// <summary>What the agent said last about a failure: its errors, its final text, or its last output lines.</summary>
    public string? LastWords { get; init; }

    /// <summary>Set when the API refused the credential and the run was stopped.</summary>
    public int? CredentialRejectedStatus { get; init; }

    /// <summary>Why the run could not finish (engine, network, cancellation); rethrown after result.json is written.</summary>
    [JsonIgnore]
    public Exception? Failure { get; init; }

    public static AgentRunResult From(AgentRunContext context, Exception? failure = null)
    {
        var outcome = context.Outcome;
        var finalText = outcome?.FinalText ?? context.LastMessage;
        var success = failure is null && context.ExitCode == 0 && outcome?.IsError != true && context.CredentialRejected is null;
        var errors = (outcome?.Errors ?? []).ToList();
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
            Summary: finalText,
            Errors: errors,
            PermissionDenials: outcome?.PermissionDenials ?? 0,
            ChangedFiles: context.ChangedFiles)
        {
            LastWords = success ? null : LastWordsOf(context, outcome, finalText),
            CredentialRejectedStatus = context.CredentialRejected,
            Failure = failure,
        };
    }

    private static string LastWordsOf(AgentRunContext context, AgentOutcome? outcome, string? finalText)
    {
        if (outcome is { Errors.Count: > 0 })
        {
            return string.Join("; ", outcome.Errors);
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
