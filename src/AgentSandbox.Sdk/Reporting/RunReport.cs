using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Run;

namespace AgentSandbox.Reporting;

/// <summary>Turns a run's result into the summary a person reads and the result.json a pipeline reads.</summary>
public static class RunReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Logs the summary; returns the error to fail the build with when the agent failed.</summary>
    public static AgentSandboxException? Report(AgentRunResult result, IAgentProfile agent, string resultPath, ISandboxLog log)
    {
        log.Important($"{result.Target}: {Summarize(result, agent.DisplayName)}");
        foreach (var file in result.ChangedFiles)
        {
            log.Important($"  {file.Change.ToString().ToLowerInvariant()}: {file.Path}");
        }
        if (result.Success)
        {
            return null;
        }
        return result.CredentialRejectedStatus is { } status
            ? Diagnostics.CredentialRejected(agent.DisplayName, status, agent.CredentialVariables)
            : Diagnostics.AgentFailed(agent.DisplayName, result.ExitCode is { } code ? $"exit code {code}" : "no exit code", result.LastWords ?? "no reason given", resultPath);
    }

    /// <summary>"Claude Code succeeded: 3 turns, 0.7 s, $0.0004, 30 tokens in / 15 out; 1 file changed."</summary>
    public static string Summarize(AgentRunResult result, string agentName)
    {
        var facts = new List<string>();
        if (result.NumTurns is { } turns)
        {
            facts.Add(turns == 1 ? "1 turn" : $"{turns} turns");
        }
        facts.Add(string.Create(CultureInfo.InvariantCulture, $"{result.DurationMs / 1000.0:0.0} s"));
        if (result.CostUsd is { } cost)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"${cost:0.####}"));
        }
        if (result.InputTokens is { } input && result.OutputTokens is { } output)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"{input} tokens in / {output} out"));
        }
        var files = result.ChangedFiles.Count switch
        {
            0 => "no file changed",
            1 => "1 file changed",
            var n => $"{n} files changed",
        };
        return $"{agentName} {(result.Success ? "succeeded" : "failed")}: {string.Join(", ", facts)}; {files}.";
    }

    public static void WriteJson(AgentRunResult result, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(result, JsonOptions));
    }
}
