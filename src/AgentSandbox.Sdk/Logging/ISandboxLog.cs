using AgentSandbox.Errors;

namespace AgentSandbox.Logging;

/// <summary>
/// Where the library reports progress. The tasks forward it to MSBuild; the library never references MSBuild.
/// </summary>
internal interface ISandboxLog
{
    /// <summary>What the user came for: the agent's words, the run's summary (shown at minimal verbosity).</summary>
    void Important(string message);

    /// <summary>Progress worth a line in a normal build log: tool calls, image build steps.</summary>
    void Info(string message);

    /// <summary>Detail for diagnosing: raw lines, engine chatter.</summary>
    void Detail(string message);

    void Warn(Warning warning);

    /// <summary>
    /// Marks where the agent's own output is logged, until disposed: a CI system that can be told to stop acting on
    /// commands in its log (GitHub Actions) is told so for that stretch.
    /// </summary>
    IDisposable AgentOutput();

    /// <summary>A warning or error about a place in the user's code (review findings, sandbox build errors): the IDE's error list shows it there.</summary>
    void Problem(SourceProblem problem);
}
