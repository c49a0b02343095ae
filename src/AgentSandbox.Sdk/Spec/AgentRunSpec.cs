using AgentSandbox.Agents;
using AgentSandbox.Common;
using AgentSandbox.Project;
using AgentSandbox.Workspace;

namespace AgentSandbox.Spec;

/// <summary>One agent run, fully resolved and validated. Nothing in it is read from the environment again.</summary>
/// <param name="TargetName">The MSBuild target that asked for the run (AgentRun, or a preset).</param>
/// <param name="ProjectName">The project whose build ran the target.</param>
/// <param name="SolutionName">The solution's file name in a solution-level run (the agent works on the solution); null otherwise.</param>
/// <param name="ProjectDirectory">The project's (or solution's) directory on the host: the container's working directory, inside <see cref="WorkspaceRoot"/>.</param>
/// <param name="Workspace">The host directory the sandbox sees as its workspace, and why it is that one.</param>
/// <param name="Policy">How the agent's changes reach it: through a checked copy, or live.</param>
/// <param name="Network">allowlist, bridge, host, none or the name of an existing network.</param>
/// <param name="Environment">The agent's container's variables, credentials included.</param>
/// <param name="BuildEnvironment">The builds inside the sandbox (AgentFix, AgentVerify): never the agent's credentials.</param>
/// <param name="Preset">AgentRun or the preset target, with its policy; its template made <see cref="AgentInvocation.Prompt"/>.</param>
internal sealed record AgentRunSpec(
    string TargetName,
    string ProjectName,
    string? SolutionName,
    IAgentProfile Agent,
    AgentInvocation Invocation,
    string ProjectDirectory,
    WorkspaceChoice Workspace,
    WorkspacePolicy Policy,
    string Network,
    ContainerEnvironment Environment,
    ContainerEnvironment BuildEnvironment,
    HostUser User,
    PresetSpec Preset,
    RunIdentity Identity)
{
    /// <summary>The project directory or one of its parents: the repository root, AgentWorkspaceRoot, or the folder holding the build's inputs.</summary>
    public string WorkspaceRoot => Workspace.Root;

    /// <summary>AgentRuntime: the container runtime of every container of the run (runsc for gVisor); null for the engine's default.</summary>
    public string? Runtime { get; init; }

    /// <summary>AgentRuntimeFallback: a runtime the engine does not have falls back to its default, with a warning, instead of failing.</summary>
    public bool RuntimeFallback { get; init; } = true;

    /// <summary>AgentForce: run even when nothing the run reads changed since its last success.</summary>
    public bool Force { get; init; }

    /// <summary>The agent's conversations kept between runs (AgentResume, AgentFix's rounds); null for a CLI that cannot continue one.</summary>
    public AgentSessions? Sessions { get; init; }

    /// <summary>AgentPackageCache: the volume that keeps the sandbox's NuGet packages between builds and runs of this workspace; null for none.</summary>
    public string? PackageCacheVolume { get; init; }

    /// <summary>The workspace the kept volumes (package cache, sessions) belong to, as their label says: the user's, also while a run works on a worktree of it.</summary>
    public string KeptVolumesWorkspace { get => _keptVolumesWorkspace ?? WorkspaceRoot; init => _keptVolumesWorkspace = value; }

    private readonly string? _keptVolumesWorkspace;

    /// <summary>AgentExtraMount: more of the machine in every container, checked (never the engine's socket, /, or a home folder).</summary>
    public IReadOnlyList<SandboxMount> ExtraMounts { get; init; } = [];

    /// <summary>AgentEngine=kubernetes: the cluster whose pods run the containers; null for the Docker engine.</summary>
    public KubernetesCluster? Cluster { get; init; }

    /// <summary>AgentNetwork=allowlist: the proxy that is the run's only way out, and what it lets through; null in the other modes.</summary>
    public EgressPolicy? Egress { get; init; }

    /// <summary>AgentTimeout: how long the target may take, the image included, before it is stopped like a cancelled build.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

    /// <summary>AgentReadOnlyRootFilesystem: the containers write only to the workspace, /tmp and the home folder.</summary>
    public bool ReadOnlyRootFilesystem { get; init; }

    /// <summary>AgentMemoryLimit and AgentCpuLimit, for every container of the run.</summary>
    public SandboxLimits Limits { get; init; } = SandboxLimits.Default;

    /// <summary>What the run is for: the solution in a solution-level run, else the project.</summary>
    public string Subject => SolutionName ?? ProjectName;

    /// <summary>How every line the run logs begins: the target and what it is for, as builds of several projects interleave.</summary>
    public string Label => $"{TargetName} for {Subject}";

    /// <summary>The project directory as the container sees it.</summary>
    public string WorkingDirectory => SandboxPaths.InContainer(WorkspaceRoot, ProjectDirectory);

    public IReadOnlyList<string> Command => Agent.BuildCommand(Invocation);

    /// <summary>What the agent's standard input gets: the prompt when it is too long for its command line, else nothing.</summary>
    public string? Stdin => Invocation.PromptOnStdin ? Invocation.Prompt : null;

    /// <summary>Text with every credential value of the run masked: the agent's and the sandbox builds'.</summary>
    public string Redact(string text) => Environment.Redact(BuildEnvironment.Redact(Egress?.Secrets.Redact(text) ?? text));

    /// <summary>Changed files as the reports name them: a file the agent named after a credential does not print it.</summary>
    public IReadOnlyList<ChangedFile> Reportable(IReadOnlyList<ChangedFile> changes) =>
        changes.Select(change => change with { Path = Redact(change.Path) }).ToList();
}
