using AgentSandbox.Agents;
using AgentSandbox.Project;

namespace AgentSandbox.Spec;

/// <summary>One agent run, fully resolved and validated. Nothing in it is read from the environment again.</summary>
/// <param name="TargetName">The MSBuild target that asked for the run (AgentRun, or a preset).</param>
/// <param name="ProjectDirectory">The project's directory on the host: the container's working directory, inside <see cref="WorkspaceRoot"/>.</param>
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

    /// <summary>The host directory mounted at <see cref="WorkspacePath"/>: the project directory or one of its parents (AgentWorkspaceRoot).</summary>
    public string WorkspaceRoot { get; init; } = ProjectDirectory;

    /// <summary>The project directory as the container sees it.</summary>
    public string WorkingDirectory => Path.GetRelativePath(WorkspaceRoot, ProjectDirectory).Replace('\\', '/') is var relative && relative != "."
        ? $"{WorkspacePath}/{relative}"
        : WorkspacePath;

    /// <summary>The environment of the builds inside the sandbox (AgentFix, AgentVerify): never the agent's credentials.</summary>
    public ContainerEnvironment BuildEnvironment { get; init; } = new();

    public IReadOnlyList<string> Command => Agent.BuildCommand(Invocation);
}
