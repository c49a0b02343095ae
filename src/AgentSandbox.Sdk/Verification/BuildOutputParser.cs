using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentSandbox.Verification;

/// <summary>
/// Reads MSBuild's canonical error format from a build's console output:
/// "/build/Program.cs(3,5): error CS1002: ; expected [/build/App.csproj]", "App.csproj : error NU1101: …".
/// </summary>
internal static partial class BuildOutputParser
{
    [GeneratedRegex(
        @"^\s*(?<origin>[^\s].*?)(?:\((?<line>\d+)(?:,(?<column>\d+))?(?:,\d+,\d+)?\))?\s*:\s*(?:[^:]*\s)?(?<severity>error|warning)(?:\s+(?<code>[A-Za-z]+[0-9]+))?\s*:\s*(?<message>.*?)(?:\s+\[[^\[\]]+\])?\s*$",
        RegexOptions.CultureInvariant)]
    private static partial Regex Canonical();

    /// <param name="root">The directory the build ran in; paths under it are made relative.</param>
    public static BuildDiagnostic? Parse(string line, string root)
    {
        var match = Canonical().Match(line);
        if (!match.Success)
        {
            return null;
        }
        var origin = match.Groups["origin"].Value.Trim();
        var prefix = root.TrimEnd('/') + "/";
        string? file = origin.StartsWith(prefix, StringComparison.Ordinal) ? origin[prefix.Length..]
            // A tool name ("MSBUILD", "CSC") or prose is no file; an absolute path may hold spaces.
            : origin is "MSBUILD" or "CSC" or "EXEC" || (origin.Contains(' ') && !origin.StartsWith('/')) ? null
            : origin;
        return new BuildDiagnostic(
            IsError: match.Groups["severity"].Value == "error",
            File: file,
            Line: Int(match.Groups["line"]),
            Column: Int(match.Groups["column"]),
            Code: match.Groups["code"].Success ? match.Groups["code"].Value : null,
            Message: match.Groups["message"].Value);
    }

    /// <summary>Every distinct diagnostic of a build's output, in order (MSBuild repeats them in its summary).</summary>
    public static IReadOnlyList<BuildDiagnostic> ParseAll(IEnumerable<string> lines, string root) =>
        lines.Select(line => Parse(line, root)).OfType<BuildDiagnostic>().Distinct().ToList();

    private static int Int(Group group) =>
        group.Success && int.TryParse(group.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
