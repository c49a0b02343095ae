using AgentSandbox.Errors;

namespace AgentSandbox.Agents;

/// <summary>The agents AgentKind can name.</summary>
public static class AgentProfiles
{
    public const string DefaultKind = "claude";

    private static readonly IReadOnlyList<IAgentProfile> All = [new ClaudeCodeProfile()];

    public static IEnumerable<string> Kinds => All.Select(profile => profile.Kind);

    public static IAgentProfile Find(string? kind)
    {
        var wanted = string.IsNullOrWhiteSpace(kind) ? DefaultKind : kind.Trim();
        return All.FirstOrDefault(profile => string.Equals(profile.Kind, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw Diagnostics.UnknownValue("AgentKind", wanted, Kinds);
    }
}
