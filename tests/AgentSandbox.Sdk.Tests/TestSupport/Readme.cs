using System.Text.RegularExpressions;
using AgentSandbox.Sdk.TestSupport;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>The tables of README.md that the code must agree with.</summary>
internal static partial class Readme
{
    public static string Text => File.ReadAllText(Repository.File("README.md"));

    /// <summary>The first column of the table under a heading, one entry per row.</summary>
    public static IReadOnlyList<string> FirstColumn(string heading)
    {
        var lines = Text.Split('\n');
        var start = Array.FindIndex(lines, line => line.TrimEnd() == heading);
        Assert.True(start >= 0, $"README.md has no heading '{heading}'");
        return lines.Skip(start + 1).SkipWhile(line => !line.StartsWith('|')).TakeWhile(line => line.StartsWith('|'))
            .Skip(2).Select(line => line.Split('|')[1].Trim()).ToList();
    }

    /// <summary>The error codes of README's table.</summary>
    public static IReadOnlyList<string> ErrorCodes() =>
        FirstColumn("### Errors and warnings").Select(cell => Code().Match(cell).Value).ToList();

    /// <summary>The result.json fields README's table names (a row may name several: `a`, `b`).</summary>
    public static IReadOnlyList<string> ResultJsonFields() =>
        FirstColumn("### result.json").SelectMany(cell => Field().Matches(cell).Select(match => match.Groups[1].Value)).ToList();

    /// <summary>The source folders in the order of README's map of the code, top layer first.</summary>
    public static IReadOnlyList<string> FolderOrder() =>
        FirstColumn("## How the code is laid out").SelectMany(cell => Folder().Matches(cell).Select(match => match.Groups[1].Value)).ToList();

    [GeneratedRegex(@"`([A-Za-z]+)/`")]
    private static partial Regex Folder();

    [GeneratedRegex(@"AGS[0-9]{4}")]
    public static partial Regex Code();

    [GeneratedRegex(@"`([A-Za-z]+)`")]
    private static partial Regex Field();

}
