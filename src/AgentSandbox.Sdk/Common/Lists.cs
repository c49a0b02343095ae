namespace AgentSandbox.Common;

internal static class Lists
{
    /// <summary>
    /// A ;-separated property value, split here rather than as an MSBuild item, which would take `*` and `?` in
    /// `Bash(git:*)` or `A=x*y` for file patterns and drop them.
    /// </summary>
    public static IReadOnlyList<string> Split(string? value) =>
        (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
