using AgentSandbox.Errors;
using AgentSandbox.Common;

namespace AgentSandbox.Agents;

/// <summary>The agents AgentKind can name.</summary>
internal static class AgentProfiles
{
    public const string DefaultKind = "claude";
    public const string CustomKind = "custom";

    /// <summary>The profiles with a fixed CLI; custom is made from AgentCommand.</summary>
    internal static readonly IReadOnlyList<IAgentProfile> Known = [new ClaudeCodeProfile(), new CodexProfile(), new GeminiCliProfile()];

    public static IEnumerable<string> Kinds => Known.Select(profile => profile.Kind).Append(CustomKind);

    /// <param name="command">AgentCommand, ;-separated: required for custom, ignored by the others.</param>
    /// <param name="installCommand">AgentInstallCommand: a shell command that installs a custom agent into the image.</param>
    public static IAgentProfile Find(string? kind, string? command = null, string? installCommand = null)
    {
        var wanted = string.IsNullOrWhiteSpace(kind) ? DefaultKind : kind.Trim();
        if (string.Equals(wanted, CustomKind, StringComparison.OrdinalIgnoreCase))
        {
            var arguments = Lists.Split(command);
            return arguments.Count > 0 ? new CustomCommandProfile(arguments, installCommand) : throw Diagnostics.NoCustomCommand();
        }
        return Known.FirstOrDefault(profile => string.Equals(profile.Kind, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw Diagnostics.UnknownValue("AgentKind", wanted, Kinds);
    }
}
