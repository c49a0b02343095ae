using AgentSandbox.Agents;
using AgentSandbox.Docker;
using AgentSandbox.Logging;
using AgentSandbox.Review;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Run;

/// <summary>The state one run's steps share: the spec going in, what each step found coming out.</summary>
public sealed class AgentRunContext(AgentRunSpec spec, string imageTag, DockerEngine engine, ISandboxLog log)
{
    /// <summary>How many of the container's last output lines are kept for an error message.</summary>
    public const int OutputTailLines = 15;

    public AgentRunSpec Spec { get; } = spec;
    public string ImageTag { get; } = imageTag;
    public DockerEngine Engine { get; } = engine;
    public ISandboxLog Log { get; } = log;

    public WorkspaceSnapshot? Before { get; set; }
    public WorkspaceSnapshot? After { get; set; }

    /// <summary>Git metadata the agent created (relative to the workspace root), and what became of it.</summary>
    public List<string> PlantedGitMetadata { get; } = [];

    /// <summary>Null until the container has exited.</summary>
    public long? ExitCode { get; set; }
    public TimeSpan Elapsed { get; set; }
    public AgentOutcome? Outcome { get; set; }

    /// <summary>The HTTP status with which the agent's API refused the credential, when it did.</summary>
    public int? CredentialRejected { get; set; }
    public string? LastMessage => Messages.Count > 0 ? Messages[^1] : null;

    /// <summary>Everything the agent said, in order (AgentReview's findings may be spread over several messages).</summary>
    public List<string> Messages { get; } = [];
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
        OutputTail.Enqueue(line);
        if (OutputTail.Count > OutputTailLines)
        {
            OutputTail.Dequeue();
        }
    }
}
