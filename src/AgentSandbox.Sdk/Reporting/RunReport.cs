using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Review;
using AgentSandbox.Run;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Reporting;

/// <summary>Turns a run's result into the summary a person reads and the result.json a pipeline reads.</summary>
public static class RunReport
{
    public const string FindingCode = "AGS4201";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Logs the summary, the review's findings and the sandbox build's errors; returns the error to fail the build with.</summary>
    public static AgentSandboxException? Report(AgentRunResult result, AgentRunSpec spec, string resultPath, ISandboxLog log)
    {
        var agent = spec.Agent;
        log.Important($"{result.Target}: {Summarize(result, agent.Describe(spec.Invocation.Version))}");
        foreach (var file in result.ChangedFiles)
        {
            log.Important($"  {file.Change.ToString().ToLowerInvariant()}: {file.Path}");
        }
        // Whatever else went wrong: it is a security event and must not hide behind another error.
        if (result.PlantedGitMetadata is { } planted)
        {
            var error = Diagnostics.GitMetadataPlanted(planted);
            log.Problem(new SourceProblem(true, "", error.Code, null, 0, 0, error.Message));
        }
        foreach (var finding in result.Findings ?? [])
        {
            // Asked for relative to /workspace, but an agent working in the project's directory may answer relative to that.
            var inProject = HostPath(spec.ProjectDirectory, finding.File);
            log.Problem(new SourceProblem(finding.FailsBuild(spec.Preset.FailOn), "AgentReview", FindingCode,
                inProject is not null && File.Exists(inProject) ? inProject : HostPath(spec.WorkspaceRoot, finding.File), finding.Line, 0,
                $"{finding.Severity.ToString().ToLowerInvariant()}: {finding.Message}"));
        }
        if (!result.AgentSucceeded)
        {
            return result.CredentialRejectedStatus is { } status
                ? Diagnostics.CredentialRejected(agent.DisplayName, status, agent.CredentialVariables)
                : Diagnostics.AgentFailed(agent.DisplayName, result.ExitCode is { } code ? $"exit code {code}" : "no exit code", result.LastWords ?? "no reason given", resultPath);
        }
        if (result.ReviewUnanswered)
        {
            return Diagnostics.ReviewUnanswered(agent.DisplayName, resultPath);
        }
        if (result.Verification is { Succeeded: false } verification)
        {
            // The errors only: the host build reports the project's warnings itself.
            foreach (var diagnostic in verification.Diagnostics.Where(d => d.IsError))
            {
                // A file outside the workspace (the SDK's own targets) is no place on the host: it goes into the message.
                var file = HostPath(spec.WorkspaceRoot, diagnostic.File);
                log.Problem(file is null && diagnostic.File is not null
                    ? new SourceProblem(true, "sandbox build", diagnostic.Code, null, 0, 0, $"{diagnostic.File}({diagnostic.Line}): {diagnostic.Message}")
                    : new SourceProblem(true, "sandbox build", diagnostic.Code, file, diagnostic.Line, diagnostic.Column, diagnostic.Message));
            }
            return spec.Preset.Kind == AgentPreset.Fix && verification.Mode == VerifyMode.Build
                ? Diagnostics.FixIncomplete(result.Iterations?.Count ?? 0, verification.ErrorCount)
                : Diagnostics.VerificationFailed(result.Target, verification.Verb, Explain(verification), resultPath);
        }
        return null;
    }

    /// <summary>A workspace-relative path (forward slashes) on the host; null for none or for a path outside the workspace.</summary>
    public static string? HostPath(string root, string? relative)
    {
        // Not rooted (a Windows UNC path would make File.Exists reach out to a server), and not out of the workspace.
        if (relative is null || relative.StartsWith('/') || relative.StartsWith('\\') || relative.Contains(':')
            || relative.Split('/', '\\').Contains(".."))
        {
            return null;
        }
        return Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
    }

    private static string Explain(VerificationResult verification) =>
        verification.Diagnostics.FirstOrDefault(d => d.IsError) is { } first
            ? $"{verification.ErrorCount} error(s), the first {first}"
            : $"exit code {verification.ExitCode}: {verification.LastLines}";

    /// <summary>"Claude Code 2.1.328 succeeded: 3 turns, 0.7 s, $0.0004, 30 tokens in / 15 out; 1 file changed; dotnet build passed."</summary>
    public static string Summarize(AgentRunResult result, string agentName)
    {
        var facts = new List<string>();
        if (result.Iterations is { Count: > 0 } iterations)
        {
            facts.Add(Count(iterations.Count, "iteration"));
        }
        if (result.NumTurns is { } turns)
        {
            facts.Add(Count(turns, "turn"));
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
        var tail = new List<string> { files };
        if (result.Findings is { } findings)
        {
            tail.Add(Count(findings.Count, "finding"));
        }
        if (result.Verification is { } verification)
        {
            tail.Add($"dotnet {verification.Verb} {(verification.Succeeded ? "passed" : "failed")}");
        }
        return $"{agentName} {(result.Success ? "succeeded" : "failed")}: {string.Join(", ", facts)}; {string.Join("; ", tail)}.";
    }

    /// <summary>"1 turn", "3 turns".</summary>
    public static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    public static void WriteJson(AgentRunResult result, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(result, JsonOptions));
    }
}
