using System.Globalization;
using System.Text.RegularExpressions;
using AgentSandbox.Common;

namespace AgentSandbox.Review;

/// <summary>
/// Reads the findings AgentReview asks for (<see cref="FindingFormat"/>) out of the agent's text.
/// Models decorate lines (list bullets, backticks, bold); those are tolerated, anything else is not a finding.
/// </summary>
internal static partial class ReviewFindingParser
{
    /// <summary>How AgentReview asks for findings; <see cref="Parse"/> reads exactly this.</summary>
    public const string FindingFormat = "FINDING <error|warning|info> <path relative to /workspace>:<line>: <message>";

    /// <summary>What AgentReview's agent says when it found nothing; without either, the review is not trusted.</summary>
    public const string NoFindings = "NO FINDINGS";

    [GeneratedRegex(
        @"^(?:\s*\d+[.)])?(?<decoration>[\s>*`_-]*)FINDING[*`_]*\s+(?<severity>error|warning|info)\s+`?(?<file>[^\s:`][^:`]*?)`?:(?<line>\d+)(?::\d+)?`?:\s*(?<message>.*?)\s*$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Finding();

    public static IReadOnlyList<ReviewFinding> Parse(string? text)
    {
        var findings = new List<ReviewFinding>();
        foreach (var line in (text ?? "").Split('\n'))
        {
            var match = Finding().Match(line);
            if (!match.Success || match.Groups["message"].Value.Length == 0
                || !int.TryParse(match.Groups["line"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var lineNumber))
            {
                continue;
            }
            var file = match.Groups["file"].Value.Trim();
            file = SandboxPaths.WorkspaceRelative(file)!;
            if (file.StartsWith("./", StringComparison.Ordinal))
            {
                file = file[2..];
            }
            var severity = Enum.Parse<FindingSeverity>(match.Groups["severity"].Value, ignoreCase: true);
            var message = Undecorate(match.Groups["message"].Value, match.Groups["decoration"].Value);
            if (!message.Any(char.IsLetterOrDigit))
            {
                // "FINDING error A.cs:3: **": the format without a finding in it.
                continue;
            }
            var finding = new ReviewFinding(severity, file, lineNumber, message);
            if (!findings.Contains(finding))
            {
                findings.Add(finding);
            }
        }
        return findings;
    }

    /// <summary>
    /// Takes off what closes the decoration the line opened with (`…`, **…**, _…_), and only that: a message may
    /// end in a code span of its own ("wrap it in `using`").
    /// </summary>
    private static string Undecorate(string message, string decoration)
    {
        foreach (var marker in decoration.Where(c => c is '`' or '*' or '_').Reverse())
        {
            if (message.EndsWith(marker))
            {
                message = message[..^1].TrimEnd();
            }
        }
        return message.Trim();
    }
}
