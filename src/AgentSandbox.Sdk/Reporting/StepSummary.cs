using System.Globalization;
using System.Text;
using AgentSandbox.Run;
using AgentSandbox.Spec;

namespace AgentSandbox.Reporting;

/// <summary>
/// The run as Markdown for a CI job's summary page: GitHub Actions names the file in GITHUB_STEP_SUMMARY and shows
/// what is appended to it. Everything in it comes from the result, whose text is already free of credentials.
/// </summary>
internal static class StepSummary
{
    /// <summary>Appends the summary to the file GITHUB_STEP_SUMMARY named; does nothing outside such a CI job (null).</summary>
    public static void AppendTo(string? path, AgentRunResult result, AgentRunSpec spec)
    {
        if (path is not null)
        {
            File.AppendAllText(path, Render(result, spec));
        }
    }

    public static string Render(AgentRunResult result, AgentRunSpec spec)
    {
        var markdown = new StringBuilder();
        void Line(string text = "") => markdown.Append(text).Append('\n');

        var agent = spec.Agent.Describe(spec.Invocation.Version);
        Line($"### {(result.Success ? "✅" : "❌")} {Cell(spec.Label)}: {Cell(agent)} {(result.Success ? "succeeded" : "failed")}");
        Line();
        Line($"> {Cell(FirstLine(spec.Preset.Task ?? spec.Invocation.Prompt))}");
        Line();
        Line("| | |");
        Line("|---|---|");
        Line($"| Agent | {Cell(agent)} |");
        Line($"| Result | {(result.Success ? "succeeded" : "failed")}{(result.ExitCode is { } code ? $" (exit code {code})" : "")} |");
        if (result.Iterations is { Count: > 0 } iterations)
        {
            Line($"| Iterations | {iterations.Count} |");
        }
        if (result.NumTurns is { } turns)
        {
            Line($"| Turns | {turns} |");
        }
        Line(string.Create(CultureInfo.InvariantCulture, $"| Duration | {result.DurationMs / 1000.0:0.0} s |"));
        if (result.InputTokens is { } input && result.OutputTokens is { } output)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"| Tokens | {input} in / {output} out |"));
        }
        Line(result.CostUsd is { } cost ? string.Create(CultureInfo.InvariantCulture, $"| Cost | ${cost:0.####} |") : "| Cost | not reported by the agent |");
        if (result.Verification is { } verification)
        {
            Line($"| Verification | {verification.Outcome} |");
        }
        if (result.PlantedGitMetadata is { } planted)
        {
            Line($"| Git metadata left by the agent | {Cell(string.Join("; ", planted))} |");
        }
        if (!result.Success && result.LastWords is { Length: > 0 } lastWords)
        {
            Line($"| Reason | {Cell(FirstLine(lastWords))} |");
        }
        Line();
        if (result.ChangedFiles.Count > 0)
        {
            Line("| Changed file | Change |");
            Line("|---|---|");
            foreach (var file in result.ChangedFiles)
            {
                Line($"| {Code(file.Path)} | {file.Change.ToString().ToLowerInvariant()} |");
            }
        }
        else
        {
            Line("No file changed.");
        }
        Line();
        if (result.Findings is { Count: > 0 } findings)
        {
            Line("| Severity | Location | Finding |");
            Line("|---|---|---|");
            foreach (var finding in findings)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"| {finding.Severity.ToString().ToLowerInvariant()} | {Code($"{finding.File}:{finding.Line}")} | {Cell(finding.Message)} |"));
            }
            Line();
        }
        return markdown.ToString();
    }

    private static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();

    /// <summary>Text that cannot break out of a table cell or start Markdown or HTML of its own (entities, not backslashes, so that no backslash in the text can undo them).</summary>
    private static string Cell(string text) => text.ReplaceLineEndings(" ")
        .Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace("|", "&#124;", StringComparison.Ordinal).Replace("[", "&#91;", StringComparison.Ordinal).Replace("`", "'", StringComparison.Ordinal);

    /// <summary>A path as a code span: no markup inside it but the table's pipe, which GitHub unescapes there too.</summary>
    private static string Code(string text) => $"`{text.ReplaceLineEndings(" ").Replace("`", "'", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal)}`";
}
