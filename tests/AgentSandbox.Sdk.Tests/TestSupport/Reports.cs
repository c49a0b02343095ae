using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Reporting;
using AgentSandbox.Run;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>The report as the pipeline makes it: the messages, then the coded error the target fails with.</summary>
internal static class Reports
{
    public static AgentSandboxException? Report(AgentRunResult result, AgentRunSpec spec, string resultPath, ISandboxLog log)
    {
        RunReport.Log(result, spec, log);
        return (AgentSandboxException?)RunReport.Verdict(result, spec, resultPath);
    }

    /// <summary>result.json as the pipeline writes it for this result.</summary>
    public static void WriteJson(AgentRunResult result, string path, AgentSandboxException? error = null) =>
        ResultDocument.From(result, Specs.Minimal(Specs.SomeProjectDirectory), error).WriteTo(path, Path.GetDirectoryName(Path.GetFullPath(path))!);
}
