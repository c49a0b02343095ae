using AgentSandbox.Agents;
using AgentSandbox.Containers;
using AgentSandbox.Errors;
using AgentSandbox.Docker;
using AgentSandbox.Logging;
using AgentSandbox.Review;
using AgentSandbox.Spec;
using AgentSandbox.Verification;
using AgentSandbox.Workspace;

namespace AgentSandbox.Run;

/// <summary>The state one run's steps share: the spec going in, what each step found coming out.</summary>
/// <param name="copy">AgentWorkspaceMode copy: the workspace as the sandbox holds it; null when the containers mount the user's tree.</param>
internal sealed class AgentRunContext(AgentRunSpec spec, string imageTag, IContainerEngine engine, ISandboxLog log, WorkspaceCopy? copy = null)
{
    /// <summary>How many of the container's last output lines are kept for an error message.</summary>
    public const int OutputTailLines = 15;

    /// <summary>How much of each of those lines is kept: an error message quotes them.</summary>
    public const int OutputTailLineLength = 4096;

    /// <summary>How much of what the agent said is kept (for AgentReview's findings): the latest, up to this many characters.</summary>
    public const int MessagesKept = 1024 * 1024;

    /// <summary>How many lines of what the agent says and does the build's log shows at its verbosity.</summary>
    public const int ShownLines = 5000;

    /// <summary>How much of one such line it shows.</summary>
    public const int ShownLineLength = 8192;

    private long _messageCharacters;

    /// <summary>How many lines of what the agent said and did were reported so far.</summary>
    public int Shown { get; set; }

    public AgentRunSpec Spec { get; } = spec;
    public string ImageTag { get; } = imageTag;
    public IContainerEngine Engine { get; } = engine;
    public ISandboxLog Log { get; } = log;

    public WorkspaceCopy? Copy { get; } = copy;

    /// <summary>AgentNetwork=allowlist: what the agent's egress proxy let through and refused.</summary>
    public EgressRecord Egress { get; } = new();

    /// <summary>Mount mode: the tree before the run, to put back what the check refuses.</summary>
    public Checkpoint? Checkpoint { get; init; }

    /// <summary>Copy mode: the agent's changes so far, against the tree copied in.</summary>
    public Changeset? Changeset { get; set; }

    /// <summary>What the changeset check refused; the run fails when there is any.</summary>
    public List<ChangeRefusal> Refusals { get; } = [];

    public WorkspaceSnapshot? Before { get; set; }
    public WorkspaceSnapshot? After { get; set; }

    /// <summary>Git metadata the agent created (relative to the workspace root), and what became of it.</summary>
    public List<string> PlantedGitMetadata { get; } = [];

    /// <summary>Null until the container has exited.</summary>
    public long? ExitCode { get; set; }

    /// <summary>The engine killed the agent's container for going over its memory limit.</summary>
    public bool OutOfMemory { get; set; }
    public TimeSpan Elapsed { get; set; }
    public AgentOutcome? Outcome { get; set; }

    /// <summary>The HTTP status with which the agent's API refused the credential, when it did.</summary>
    public int? CredentialRejected { get; set; }

    /// <summary>The CLI's session (thread) id, when it reported one.</summary>
    public string? SessionId { get; set; }

    /// <summary>The cluster's pod the agent ran in (AgentEngine=kubernetes).</summary>
    public ContainerPlacement? Placement { get; set; }
    public string? LastMessage => Messages.Count > 0 ? Messages[^1] : null;

    /// <summary>What the agent said, in order (AgentReview's findings may be spread over several messages): the latest <see cref="MessagesKept"/> characters.</summary>
    public List<string> Messages { get; } = [];

    /// <summary>Keeps a message, dropping the oldest ones beyond <see cref="MessagesKept"/>: an agent that talks without end does not fill the build's memory.</summary>
    public void Said(string message)
    {
        Messages.Add(message);
        _messageCharacters += message.Length;
        while (_messageCharacters > MessagesKept && Messages.Count > 1)
        {
            _messageCharacters -= Messages[0].Length;
            Messages.RemoveAt(0);
        }
    }
    public Queue<string> OutputTail { get; } = new();
    public IReadOnlyList<ChangedFile> ChangedFiles { get; set; } = [];

    /// <summary>The build or test inside the sandbox after the agent's work (AgentVerify); null when none ran.</summary>
    public VerificationResult? Verification { get; set; }

    /// <summary>AgentReview's findings; null for the other targets.</summary>
    public IReadOnlyList<ReviewFinding>? Findings { get; set; }

    /// <summary>AgentReview: the agent ended well but answered with neither findings nor NO FINDINGS.</summary>
    public bool ReviewUnanswered { get; set; }

    /// <summary>True when the agent ran to a successful end (whatever a verification says afterwards).</summary>
    public bool AgentSucceeded => ExitCode == 0 && Outcome?.IsError != true && CredentialRejected is null;

    public void RememberOutput(string line)
    {
        OutputTail.Enqueue(line.Length <= OutputTailLineLength ? line : line[..OutputTailLineLength] + " …");
        if (OutputTail.Count > OutputTailLines)
        {
            OutputTail.Dequeue();
        }
    }

    /// <summary>The run's result; <paramref name="failure"/> is what stopped a step, if anything did.</summary>
    public AgentRunResult ToResult(Exception? failure = null)
    {
        var outcome = Outcome;
        var finalText = outcome?.FinalText ?? LastMessage;
        var agentErrors = outcome?.Errors ?? [];
        // The CLI's exit code is all some failures leave (an error printed to standard error only).
        if (agentErrors.Count == 0 && !AgentSucceeded && ExitCode is { } exitCode and not 0
            && Spec.Agent.ExplainExitCode(exitCode) is { } meaning)
        {
            agentErrors = [$"exit code {exitCode}: {meaning}"];
        }
        // Killed, and not by us (we kill only for a refused key; a cancelled build never gets here): for memory, or from outside.
        if (failure is null && ExitCode == 137 && CredentialRejected is null)
        {
            failure = OutOfMemory ? Diagnostics.OutOfMemory(Spec.Agent.DisplayName, Spec.Limits.MemoryBytes) : Diagnostics.KilledFromOutside(Spec.Agent.DisplayName);
        }
        return new AgentRunResult(
            Target: Spec.TargetName,
            Agent: Spec.Agent.Kind,
            AgentVersion: Spec.Invocation.Version.ToNormalizedString(),
            Image: ImageTag,
            ExitCode: ExitCode,
            DurationMs: outcome?.DurationMs ?? (long)Elapsed.TotalMilliseconds,
            NumTurns: outcome?.NumTurns,
            CostUsd: outcome?.CostUsd,
            InputTokens: outcome?.InputTokens,
            OutputTokens: outcome?.OutputTokens,
            FinalText: finalText,
            Errors: AgentRunResult.Describe(failure) is { } stopped ? [.. agentErrors, stopped] : agentErrors,
            PermissionDenials: outcome?.PermissionDenials ?? 0,
            ChangedFiles: Spec.Reportable(ChangedFiles))
        {
            LastWords = AgentSucceeded && failure is null ? null : LastWordsOf(agentErrors, finalText),
            // The agent's own verdict: a failure after it ended well (a sandbox build's engine error) is not the agent's.
            AgentSucceeded = AgentSucceeded,
            PlantedGitMetadata = PlantedGitMetadata.Count > 0 ? PlantedGitMetadata.ToList() : null,
            Changeset = Changeset,
            Refusals = Refusals.Count > 0 ? Refusals.Select(refusal => refusal with { Path = Spec.Redact(refusal.Path) }).ToList() : null,
            ReviewUnanswered = ReviewUnanswered,
            After = After,
            ReportedOutcome = outcome is not null,
            SessionId = SessionId,
            Placement = Placement,
            Verification = Verification,
            Findings = Findings,
            FailOn = Spec.Preset.FailOn,
            CredentialRejectedStatus = CredentialRejected,
            Failure = failure,
        };
    }

    private string LastWordsOf(IReadOnlyList<string> errors, string? finalText)
    {
        if (errors.Count > 0)
        {
            return string.Join("; ", errors);
        }
        if (!string.IsNullOrWhiteSpace(finalText))
        {
            return finalText;
        }
        return OutputTail.Count > 0
            ? string.Join(Environment.NewLine, OutputTail)
            : "it printed nothing; run with -v:detailed to see the container's output";
    }
}
