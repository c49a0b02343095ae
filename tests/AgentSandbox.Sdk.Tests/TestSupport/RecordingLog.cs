using AgentSandbox.Errors;
using AgentSandbox.Logging;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>An <see cref="ISandboxLog"/> that keeps what it is told, for assertions.</summary>
internal sealed class RecordingLog : ISandboxLog
{
    public List<string> Important { get; } = [];
    public List<string> Info { get; } = [];
    public List<string> Detail { get; } = [];
    public List<Warning> Warnings { get; } = [];
    public List<SourceProblem> Problems { get; } = [];

    void ISandboxLog.Important(string message) => Important.Add(message);
    void ISandboxLog.Info(string message) => Info.Add(message);
    void ISandboxLog.Detail(string message) => Detail.Add(message);
    void ISandboxLog.Warn(Warning warning) => Warnings.Add(warning);
    void ISandboxLog.Problem(SourceProblem problem) => Problems.Add(problem);

    /// <summary>How many stretches of agent output were marked.</summary>
    public int AgentOutputs { get; private set; }

    IDisposable ISandboxLog.AgentOutput()
    {
        AgentOutputs++;
        return new Stretch();
    }

    private sealed class Stretch : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
