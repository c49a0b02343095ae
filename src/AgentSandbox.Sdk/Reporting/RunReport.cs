using System.Globalization;
using AgentSandbox.Common;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Review;
using AgentSandbox.Run;
using AgentSandbox.Spec;
using AgentSandbox.Verification;
using AgentSandbox.Workspace;

namespace AgentSandbox.Reporting;

/// <summary>Turns a run's result into the summary a person reads and the error the target fails with.</summary>
internal static class RunReport
{
    /// <summary>
    /// The error the target fails with: what stopped the run, else what its result says (the agent failed, the
    /// review went unanswered, the verification failed); null when it succeeded. Planted git metadata (AGS4008) is
    /// reported by <see cref="Log"/> beside whichever this is, and is the error only when there is no other.
    /// </summary>
    public static Exception? Verdict(AgentRunResult result, AgentRunSpec spec, string resultPath)
    {
        var agent = spec.Agent;
        if (result.Failure is { } failure)
        {
            return failure;
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
        if (result.Verification is { RanNoTest: true } untested)
        {
            return Diagnostics.NoTestRan(result.Target, string.Join(", ", untested.Tests?.Projects ?? []), resultPath);
        }
        if (result.Verification is { Succeeded: false } verification)
        {
            return spec.Preset.Kind == AgentPreset.Fix && verification.Mode == VerifyMode.Build
                ? Diagnostics.FixIncomplete(result.Iterations?.Count ?? 0, verification.ErrorCount)
                : Diagnostics.VerificationFailed(result.Target, verification.Verb, Explain(verification), resultPath);
        }
        return null;
    }

    /// <summary>
    /// The AGS error result.json records: the verdict's, else what <see cref="Log"/> reports as errors of their own
    /// (planted git metadata, review findings that fail the build), so that a failed target always names its error.
    /// </summary>
    public static AgentSandboxException? RecordedError(AgentRunResult result, Exception? verdict)
    {
        if (verdict is not null || result.Success)
        {
            return verdict as AgentSandboxException;
        }
        if (result.PlantedGitMetadata is { } planted)
        {
            return Diagnostics.GitMetadataPlanted(planted);
        }
        if (RefusalErrors(result).FirstOrDefault() is { } refused)
        {
            return refused;
        }
        var failing = (result.Findings ?? []).Count(finding => finding.FailsBuild(result.FailOn));
        return failing > 0 ? Diagnostics.FindingsFailTheBuild(failing, result.FailOn.ToString().ToLowerInvariant()) : null;
    }

    /// <summary>Logs the summary, the changed files, planted git metadata, the review's findings and the sandbox build's errors.</summary>
    public static void Log(AgentRunResult result, AgentRunSpec spec, ISandboxLog log)
    {
        if (result.Verification?.Tests is { Uncounted.Count: > 0 } uncounted)
        {
            log.Warn(Diagnostics.TestsNotCounted(spec.Label, uncounted.Uncounted));
        }
        // One message, so that the builds of other projects cannot interleave with its lines.
        log.Important(string.Join("\n", result.ChangedFiles.Select(file => $"  {file.Change.ToString().ToLowerInvariant()}: {file.Path}")
            .Prepend($"{spec.Label}: {Summarize(result, spec.Agent.Describe(spec.Invocation.Version))}")));
        // Whatever else went wrong: it is a security event and must not hide behind another error.
        if (result.PlantedGitMetadata is { } planted)
        {
            var error = Diagnostics.GitMetadataPlanted(planted);
            log.Problem(new SourceProblem(true, "", error.Code, null, 0, 0, error.Message));
        }
        foreach (var error in RefusalErrors(result))
        {
            log.Problem(new SourceProblem(true, "", error.Code, null, 0, 0, error.Message));
        }
        foreach (var finding in result.Findings ?? [])
        {
            // Asked for relative to /workspace, but an agent working in the project's directory may answer relative to that.
            var inProject = SandboxPaths.OnHost(spec.ProjectDirectory, finding.File);
            log.Problem(Diagnostics.ReviewFinding(finding.FailsBuild(spec.Preset.FailOn),
                inProject is not null && File.Exists(inProject) ? inProject : SandboxPaths.OnHost(spec.WorkspaceRoot, finding.File), finding.Line,
                finding.Severity.ToString().ToLowerInvariant(), finding.Message));
        }
        // As the verdict: a failed agent or an unanswered review is the error, and a build after it says nothing new.
        if (result.Verification is { Succeeded: false } verification && result.AgentSucceeded && !result.ReviewUnanswered)
        {
            // The errors only: the host build reports the project's warnings itself.
            foreach (var diagnostic in verification.Diagnostics.Where(d => d.IsError))
            {
                // A file outside the workspace (the SDK's own targets) is no place on the host: it goes into the message.
                var file = SandboxPaths.OnHost(spec.WorkspaceRoot, diagnostic.File);
                log.Problem(file is null && diagnostic.File is not null
                    ? new SourceProblem(true, "sandbox build", diagnostic.Code, null, 0, 0, $"{diagnostic.File}({diagnostic.Line}): {diagnostic.Message}")
                    : new SourceProblem(true, "sandbox build", diagnostic.Code, file, diagnostic.Line, diagnostic.Column, diagnostic.Message));
            }
            // Each failed test by name, at the line of the test code it failed at when its stack trace says.
            foreach (var test in verification.Tests?.Failures ?? [])
            {
                // One line: a build log shows each line of a message as an error of its own.
                var message = string.Join(" / ", test.Message.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0));
                log.Problem(new SourceProblem(true, "sandbox test", null, SandboxPaths.OnHost(spec.WorkspaceRoot, test.File), test.Line, 0, $"{test.Name} failed: {message}"));
            }
        }
    }

    /// <summary>One error per kind of refused change, each listing its paths (already masked for credentials).</summary>
    private static IEnumerable<AgentSandboxException> RefusalErrors(AgentRunResult result) =>
        (result.Refusals ?? []).GroupBy(refusal => refusal.Kind).OrderBy(group => group.Key).Select(group =>
        {
            var paths = group.Select(refusal => refusal.Path);
            // Mount mode (no Applied): the refused changes were live, and have been moved aside.
            var live = result.Applied is null;
            return group.Key switch
            {
                RefusalKind.GitMetadata => Diagnostics.GitMetadataRefused(paths, result.PatchFile),
                RefusalKind.Protected => Diagnostics.ProtectedChangesRefused(paths, result.PatchFile, live),
                RefusalKind.Link => Diagnostics.LinksRefused(paths, result.PatchFile, live),
                _ => Diagnostics.NamesRefused(paths, result.PatchFile, live),
            };
        });

    private static string Explain(VerificationResult verification) =>
        verification.Diagnostics.FirstOrDefault(d => d.IsError) is { } first ? $"{verification.ErrorCount} error(s), the first {first}"
        : verification.Tests is { Failed: > 0 } tests ? $"{tests.Describe()}, the first {tests.Failures[0].Name}"
        : $"exit code {verification.ExitCode}: {verification.LastLines}";

    /// <summary>"Claude Code 2.1.328 succeeded: 3 turns, 0.7 s, $0.0004, 30 tokens in / 15 out; 1 file changed; dotnet build passed."</summary>
    public static string Summarize(AgentRunResult result, string agentName)
    {
        var facts = new List<string>();
        if (result.Iterations is { Count: > 0 } iterations)
        {
            facts.Add(Text.Count(iterations.Count, "iteration"));
        }
        if (result.NumTurns is { } turns)
        {
            facts.Add(Text.Count(turns, "turn"));
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
        if (result.SessionId is { } session)
        {
            facts.Add($"session {session}");
        }
        // AgentFix without a round: the agent never ran, so it neither succeeded nor failed; nor did a skipped run's.
        var verdict = result.Cache is { Hit: true } cache ? $"{agentName} did not run, as nothing changed since {cache.Run}"
            : result.Iterations is { Count: 0 }
            ? result.Success ? $"the build was already clean, so {agentName} did not run" : $"{agentName} did not run"
            : $"{agentName} {(result.Success ? "succeeded" : "failed")}";
        return $"{verdict}: {string.Join(", ", facts)}; {Outcome(result, namedFiles: 0)}.";
    }

    /// <summary>
    /// What the run left, short enough for the terminal logger's line for the project: "2 files changed: a.cs, b.cs;
    /// dotnet build passed". Files by name only: the terminal logger links the line's last folder, which a path after
    /// result.json's would make a folder that does not exist.
    /// </summary>
    /// <param name="namedFiles">How many changed files to name (the summary lists them all, with their paths, on lines of their own).</param>
    public static string Outcome(AgentRunResult result, int namedFiles)
    {
        var files = result.ChangedFiles.Count switch
        {
            0 => "no file changed",
            1 => "1 file changed",
            var n => $"{n} files changed",
        };
        if (namedFiles > 0 && result.ChangedFiles.Count > 0)
        {
            var named = result.ChangedFiles.Take(namedFiles).Select(file => Path.GetFileName(file.Path));
            var more = result.ChangedFiles.Count - namedFiles;
            files += $": {string.Join(", ", named)}{(more > 0 ? $" and {more} more" : "")}";
        }
        if (result.Applied == false && result.ChangedFiles.Count > 0)
        {
            files += ", not applied";
        }
        var outcome = new List<string> { files };
        if (result.Findings is { } findings)
        {
            outcome.Add(Text.Count(findings.Count, "finding"));
        }
        if (result.Verification is { } verification)
        {
            outcome.Add(verification.Outcome);
        }
        return string.Join("; ", outcome);
    }
}
