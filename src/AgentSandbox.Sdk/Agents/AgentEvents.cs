namespace AgentSandbox.Agents;

/// <summary>One thing an agent did, normalized across CLIs, reported as it happens.</summary>
internal abstract record AgentEvent;

/// <summary>Text the agent addressed to the user.</summary>
internal sealed record AgentMessage(string Text) : AgentEvent;

/// <summary>A tool call, described the way a person would say it: "Edit Program.cs", "Bash: dotnet test".</summary>
internal sealed record AgentToolCall(string Description) : AgentEvent;

/// <summary>The CLI's id of the conversation (Claude Code's session, Codex's thread, Gemini CLI's session): a later run can continue it.</summary>
internal sealed record AgentSessionStarted(string Id) : AgentEvent;

/// <summary>Something the CLI itself reports that is not the agent's work (retries, warnings).</summary>
internal sealed record AgentNotice(string Text) : AgentEvent;

/// <summary>The API refused the credential (401/403); retrying will not help, so the run is stopped.</summary>
internal sealed record AgentCredentialRejected(int Status) : AgentEvent;

/// <summary>The CLI's final account of the run; a CLI without one reports the account so far, and the last one counts.</summary>
internal sealed record AgentFinished(AgentOutcome Outcome) : AgentEvent;

/// <summary>The final result as the agent reports it. Fields the CLI did not report are null.</summary>
internal sealed record AgentOutcome(
    bool IsError,
    string? Kind,
    string? FinalText,
    int? NumTurns,
    long? DurationMs,
    decimal? CostUsd,
    long? InputTokens,
    long? OutputTokens,
    IReadOnlyList<string> Errors,
    int PermissionDenials);

/// <summary>Turns the CLI's standard output, line by line as it arrives, into <see cref="AgentEvent"/>s.</summary>
internal interface IAgentOutputParser
{
    IEnumerable<AgentEvent> ParseLine(string line);
}
