using Microsoft.Build.Framework;

namespace AgentSandbox.Tasks;

/// <summary>An agent target's inputs (besides the image's), each an MSBuild property of the same meaning, and what it returns.</summary>
public sealed partial class RunAgent
{
    /// <summary>The agent target: AgentRun, AgentRefactor, AgentTest, AgentFix or AgentReview.</summary>
    [Required] public string Target { get; set; } = "";

    /// <summary>AgentSandboxDirectory: result.json goes to &lt;this&gt;/&lt;Target&gt;/result.json.</summary>
    [Required] public string SandboxDirectory { get; set; } = "";

    public string? Prompt { get; set; }
    public string? PromptFile { get; set; }
    public string? Model { get; set; }
    public string? MaxTurns { get; set; }
    public string? MaxBudgetUsd { get; set; }

    /// <summary>AgentExtraArgs, ;-separated. A string, not items: items would take `*` in `Bash(git:*)` for a file pattern.</summary>
    public string? ExtraArguments { get; set; }
    public string? Network { get; set; }

    /// <summary>AgentImageRegistry: with AgentEngine=kubernetes, where the image is pushed for the nodes to pull it.</summary>
    public string? ImageRegistry { get; set; }

    /// <summary>AgentKubernetesSecret: with AgentEngine=kubernetes, a Secret of the namespace that holds the agent's credentials by variable name.</summary>
    public string? KubernetesSecret { get; set; }

    /// <summary>AgentEnvironmentVariables, ;-separated NAME or NAME=value.</summary>
    public string? EnvironmentVariables { get; set; }

    /// <summary>AgentBuildEnvironmentVariables, ;-separated NAME or NAME=value.</summary>
    public string? BuildEnvironmentVariables { get; set; }
    public string? WorkspaceRoot { get; set; }

    /// <summary>What the build reads outside the project's folder (Directory.Build.*, Directory.Packages.props, referenced projects), ;-separated.</summary>
    public string? BuildInputs { get; set; }

    /// <summary>AgentWorkspaceMode: copy (the default) or mount.</summary>
    public string? WorkspaceMode { get; set; }

    /// <summary>AgentForce: true runs the target even when nothing it reads changed since its last successful run.</summary>
    public string? Force { get; set; }

    /// <summary>AgentResume: true continues the last session of this target and agent in the project.</summary>
    public string? Resume { get; set; }

    /// <summary>AgentSessionId: the session to continue (a sessionId of an earlier result.json).</summary>
    public string? SessionId { get; set; }

    /// <summary>AgentSessionsToKeep: how many of the workspace's kept sessions (one per project and agent) stay, the ones used last (10).</summary>
    public string? SessionsToKeep { get; set; }

    /// <summary>AgentPackageCache: true (default) keeps the sandbox's NuGet packages between builds and runs in a volume per workspace.</summary>
    public string? PackageCache { get; set; }

    /// <summary>The Pattern metadata of the AgentProtectedPath items, ;-separated globs.</summary>
    public string? ProtectedPaths { get; set; }

    /// <summary>AgentAllowProtectedChanges: true lets the agent's changes to protected paths through.</summary>
    public string? AllowProtectedChanges { get; set; }

    /// <summary>AgentCheckpointsToKeep: how many checkpoints of the tree are kept (10).</summary>
    public string? CheckpointsToKeep { get; set; }

    /// <summary>AgentDryRun: true prints the Dockerfile's path and the equivalent docker commands, and runs nothing.</summary>
    public bool DryRun { get; set; }

    /// <summary>AgentExtraMount items: a host path each, metadata ContainerPath (where it appears in the container; MSBuild reserves Target) and ReadOnly (true unless false).</summary>
    public ITaskItem[]? ExtraMounts { get; set; }

    /// <summary>AgentMemoryLimit: 4g unless set.</summary>
    public string? MemoryLimit { get; set; }

    /// <summary>AgentRuntime: the container runtime (runsc for gVisor); the engine's default unless set.</summary>
    public string? Runtime { get; set; }

    /// <summary>AgentRuntimeFallback: true (the default) runs with the engine's default runtime, warning, when AgentRuntime is missing.</summary>
    public string? RuntimeFallback { get; set; }

    /// <summary>AgentCpuLimit: none unless set.</summary>
    public string? CpuLimit { get; set; }

    /// <summary>AgentWorkspace: a folder of the project that is all the agent sees (AgentRun, AgentReview, or AgentVerify=none).</summary>
    public string? Workspace { get; set; }

    /// <summary>AgentReadOnlyRootFilesystem: true makes the containers' root file system read-only (the workspace, /tmp and the home folder stay writable).</summary>
    public string? ReadOnlyRootFilesystem { get; set; }

    /// <summary>AgentTimeout: how long the target may run (30m unless set): 90s, 45m, 2h or hh:mm:ss.</summary>
    public string? Timeout { get; set; }

    /// <summary>AgentTmpSize: the size of the tmpfs at /tmp (1g unless set).</summary>
    public string? TmpSize { get; set; }

    /// <summary>AgentAllowedHost items: host names, *.domain wildcards or IP addresses, each with an optional :port, that AgentNetwork=allowlist lets through.</summary>
    public ITaskItem[]? AllowedHosts { get; set; }

    /// <summary>AgentEgressNetwork: the network through which the allowlist's proxy reaches out (bridge unless set).</summary>
    public string? EgressNetwork { get; set; }

    /// <summary>AgentCredential items: a host variable each whose value the egress proxy adds to requests (metadata Host, Header, Format, BaseUrlVariable).</summary>
    public ITaskItem[]? Credentials { get; set; }

    /// <summary>The solution of a solution-level run, when this project runs it; empty otherwise.</summary>
    public string? SolutionFile { get; set; }

    /// <summary>The solution's projects that do not import AgentSandbox.Sdk (a solution-level run refuses them).</summary>
    public string? SolutionProjectsWithoutPackage { get; set; }
    public string? Verify { get; set; }
    public string? MaxIterations { get; set; }
    public string? ReviewFailOn { get; set; }
    public string? RefactorScope { get; set; }
    public string? TestScope { get; set; }

    /// <summary>AgentTestProject items: the test projects to run instead of those found (full paths).</summary>
    public string? TestProjects { get; set; }
    public string? ReviewScope { get; set; }

    /// <summary>AgentBuildNetwork: the network of the image's RUN steps (default, bridge, host, none).</summary>
    public string? BuildNetwork { get; set; }

    /// <summary>AgentDockerHost; empty for DOCKER_HOST, else the current Docker context.</summary>
    public string? DockerHost { get; set; }

    /// <summary>Each file the agent changed, added or deleted; metadata Change (modified/added/deleted) and RelativePath.</summary>
    [Output] public ITaskItem[] ChangedFiles { get; private set; } = [];

    /// <summary>The run's result.json, with the normalized result as metadata (Success, ExitCode, Turns, CostUsd, …).</summary>
    [Output] public ITaskItem? Result { get; private set; }

    /// <summary>agentsandbox:&lt;hash of the build context and the base image's ID&gt;; empty when the image could not be made.</summary>
    [Output] public string ImageTag { get; private set; } = "";

    /// <summary>Where result.json is, for FileWrites.</summary>
    [Output] public string ResultPath { get; private set; } = "";
}
