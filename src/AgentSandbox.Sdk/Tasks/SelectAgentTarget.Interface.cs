using Microsoft.Build.Framework;

namespace AgentSandbox.Tasks;

public sealed partial class SelectAgentTarget
{
    /// <summary>The agent target being run: AgentRun, AgentRefactor, AgentTest, AgentFix or AgentReview.</summary>
    [Required] public string Target { get; set; } = "";

    /// <summary>In: the agent target selected earlier in this build, if any. Out: <see cref="Target"/>.</summary>
    [Output] public string? Selected { get; set; }
}
