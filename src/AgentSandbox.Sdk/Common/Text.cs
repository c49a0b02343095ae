namespace AgentSandbox.Common;

/// <summary>Small pieces of text the log and the reports share.</summary>
internal static class Text
{
    /// <summary>"1 turn", "3 turns".</summary>
    public static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>An argument as a shell would need it, for reading a command in a log only: it is never run through a shell.</summary>
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=@".Contains(c)) ? argument : $"'{argument.Replace("'", "'\\''")}'";

    /// <summary>A command line for the log.</summary>
    public static string CommandLine(IEnumerable<string> arguments) => string.Join(" ", arguments.Select(Quote));
}
