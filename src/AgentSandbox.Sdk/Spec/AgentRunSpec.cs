using AgentSandbox.Agents;
using AgentSandbox.Project;

namespace AgentSandbox.Spec;

/// <summary>One agent run, fully resolved and validated. Nothing in it is read from the environment again.</summary>
/// <param name="TargetName">The MSBuild target that asked for the run (AgentRun, or a preset).</param>
/// <param name="ProjectDirectory">Mounted read-write at <see cref="WorkspacePath"/>, the container's working directory.</param>
/// <param name="Network">bridge, host, none or the name of an existing Docker network.</param>
/// <param name="Preset">AgentRun or the preset target, with its policy; its template made <see cref="AgentInvocation.Prompt"/>.</param>
public sealed record AgentRunSpec(
    string TargetName,
    IAgentProfile Agent,
    AgentInvocation Invocation,
    string ProjectDirectory,
    string Network,
    ContainerEnvironment Environment,
    HostUser User,
    PresetSpec Preset)
{
    public const string WorkspacePath = "/workspace";

    /// <summary>The environment of the builds inside the sandbox (AgentFix, AgentVerify): never the agent's credentials.</summary>
    public ContainerEnvironment BuildEnvironment { get; init; } = new();

    public IReadOnlyList<string> Command => Agent.BuildCommand(Invocation);
}
