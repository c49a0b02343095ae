using AgentSandbox.Agents;
using AgentSandbox.Docker;
using AgentSandbox.Logging;
using AgentSandbox.Spec;

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

    /// <summary>Null until the container has exited.</summary>
    public long? ExitCode { get; set; }
    public TimeSpan Elapsed { get; set; }
    public AgentOutcome? Outcome { get; set; }

    /// <summary>The HTTP status with which the agent's API refused the credential, when it did.</summary>
    public int? CredentialRejected { get; set; }
    public string? LastMessage { get; set; }
    public Queue<string> OutputTail { get; } = new();
    public IReadOnlyList<ChangedFile> ChangedFiles { get; set; } = [];

    public void RememberOutput(string line)
    {
        OutputTail.Enqueue(line);
        if (OutputTail.Count > OutputTailLines)
        {
            OutputTail.Dequeue();
        }
    }
}
