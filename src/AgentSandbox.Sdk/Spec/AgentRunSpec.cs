using AgentSandbox.Agents;
using AgentSandbox.Common;
using AgentSandbox.Project;

namespace AgentSandbox.Spec;

/// <summary>One agent run, fully resolved and validated. Nothing in it is read from the environment again.</summary>
/// <param name="TargetName">The MSBuild target that asked for the run (AgentRun, or a preset).</param>
/// <param name="ProjectDirectory">The project's directory on the host: the container's working directory, inside <see cref="WorkspaceRoot"/>.</param>
/// <param name="WorkspaceRoot">The host directory the sandbox sees as its workspace: the project directory or one of its parents (AgentWorkspaceRoot).</param>
/// <param name="Network">bridge, host, none or the name of an existing network.</param>
/// <param name="Environment">The agent's container's variables, credentials included.</param>
/// <param name="BuildEnvironment">The builds inside the sandbox (AgentFix, AgentVerify): never the agent's credentials.</param>
/// <param name="Preset">AgentRun or the preset target, with its policy; its template made <see cref="AgentInvocation.Prompt"/>.</param>
internal sealed record AgentRunSpec(
    string TargetName,
    IAgentProfile Agent,
    AgentInvocation Invocation,
    string ProjectDirectory,
    string WorkspaceRoot,
    string Network,
    ContainerEnvironment Environment,
    ContainerEnvironment BuildEnvironment,
    HostUser User,
    PresetSpec Preset,
    RunIdentity Identity)
{
    /// <summary>The project directory as the container sees it.</summary>
    public string WorkingDirectory => SandboxPaths.InContainer(WorkspaceRoot, ProjectDirectory);

    public IReadOnlyList<string> Command => Agent.BuildCommand(Invocation);
}
