using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentSandbox.Common;

/// <summary>Small pieces of text the log and the reports share.</summary>
internal static partial class Text
{
    /// <summary>A short stable name for a text (a path, a project and agent): the start of its SHA-256, lower-case hex.</summary>
    public static string ShortHash(string text, int length = 16) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..length].ToLowerInvariant();

    /// <summary>A duration as AgentTimeout is written: 90s, 45m, 2h, 1h30m.</summary>
    public static string Duration(TimeSpan duration) =>
        duration.TotalSeconds % 60 != 0 || duration < TimeSpan.FromMinutes(1) ? FormattableString.Invariant($"{duration.TotalSeconds:0.#}s")
        : duration.TotalMinutes % 60 != 0 && duration.TotalHours >= 1 ? FormattableString.Invariant($"{(int)duration.TotalHours}h{duration.Minutes}m")
        : duration.TotalMinutes % 60 != 0 ? FormattableString.Invariant($"{duration.TotalMinutes:0}m")
        : FormattableString.Invariant($"{duration.TotalHours:0}h");

    /// <summary>"1 turn", "3 turns".</summary>
    public static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>An argument as a shell would need it, for reading a command in a log only: it is never run through a shell.</summary>
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=@".Contains(c)) ? argument : $"'{argument.Replace("'", "'\\''")}'";

    /// <summary>A command line for the log.</summary>
    public static string CommandLine(IEnumerable<string> arguments) => string.Join(" ", arguments.Select(Quote));

    /// <summary>
    /// Text as a log may show it: line breaks and tabs kept (a Windows line break as \n), every other control character
    /// (C0, DEL, C1) shown as \uXXXX. No escape sequence then reaches a terminal or a CI log, and no carriage return can
    /// hide what came before it on a line.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(IsHidden))
        {
            return text;
        }
        var printable = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                continue;
            }
            printable.Append(IsHidden(text[i]) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)text[i]:x4}") : text[i]);
        }
        return printable.ToString();
    }

    private static bool IsHidden(char c) => char.IsControl(c) && c is not ('\n' or '\t');

    /// <summary>
    /// Text as a CI log may show it: <see cref="Printable"/>, and no line a CI system would take for a command. GitHub
    /// Actions acts on a line that starts with :: after its leading whitespace, and on ##[ anywhere in it; Azure
    /// Pipelines on ##vso[ anywhere, TeamCity on ##teamcity[. Such a colon or bracket is shown as \u003a or \u005b, so the text stays readable
    /// and nothing acts on it.
    /// </summary>
    public static string Loggable(string text)
    {
        var printable = Printable(text);
        if (!printable.Contains("::", StringComparison.Ordinal) && !printable.Contains("##", StringComparison.Ordinal))
        {
            return printable;
        }
        return string.Join('\n', printable.Split('\n').Select(line =>
        {
            var indent = line.Length - line.TrimStart().Length;
            if (line.AsSpan(indent).StartsWith("::", StringComparison.Ordinal))
            {
                line = string.Concat(line.AsSpan(0, indent), "\\u003a", line.AsSpan(indent + 1));
            }
            return CiCommandPrefix().Replace(line, "##$1\\u005b");
        }));
    }

    // ##[ (GitHub's old form), ##vso[ (Azure Pipelines), ##teamcity[ (TeamCity), and any other ##name[.
    [GeneratedRegex(@"##(\w*)\[", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CiCommandPrefix();
}
