namespace AgentSandbox.Inputs;

/// <summary>
/// The MSBuild inputs of one target, as given (unvalidated): what the task parameters carry, by name. The image
/// inputs are always there; the run inputs only for the agent targets.
/// </summary>
internal sealed record SandboxInputs
{
    public required string ProjectDirectory { get; init; }

    /// <summary>The project file; its name goes into preset prompts and sandbox builds.</summary>
    public string? ProjectFile { get; init; }
    public string ProjectName { get; init; } = "";
    public IReadOnlyList<string> TargetFrameworks { get; init; } = [];

    /// <summary>The SDK running the build (NETCoreSdkVersion), for projects whose TFMs name no .NET version.</summary>
    public string? HostSdkVersion { get; init; }

    // The image.
    public string? BaseImage { get; init; }
    public string? AgentKind { get; init; }
    public string? AgentVersion { get; init; }
    public string? AgentCommand { get; init; }
    public string? AgentInstallCommand { get; init; }
    public IReadOnlyList<string> SystemPackages { get; init; } = [];
    public IReadOnlyList<string> CaCertificateFiles { get; init; } = [];
    public string? User { get; init; }

    /// <summary>AgentEngine: docker (the default) or kubernetes; with AgentKubernetesNamespace and AgentKubernetesContext.</summary>
    public string? Engine { get; init; }
    public string? KubernetesNamespace { get; init; }
    public string? KubernetesContext { get; init; }

    /// <summary>AgentImageRegistry: registry[/path] the image is pushed to for a cluster.</summary>
    public string? ImageRegistry { get; init; }

    /// <summary>AgentKubernetesSecret: a Secret of the namespace that holds the agent's credentials, by variable name.</summary>
    public string? KubernetesSecret { get; init; }
    public string? BuildNetwork { get; init; }

    /// <summary>The agent target (AgentRun, AgentRefactor, AgentTest, AgentFix, AgentReview); null when only the image is wanted.</summary>
    public string? Target { get; init; }

    // The run.
    public string? Prompt { get; init; }
    public string? PromptFile { get; init; }
    public string? Model { get; init; }
    public string? MaxTurns { get; init; }
    public string? MaxBudgetUsd { get; init; }
    public string? ExtraArguments { get; init; }
    public string? Network { get; init; }
    public string? EnvironmentVariables { get; init; }
    public string? BuildEnvironmentVariables { get; init; }
    public string? WorkspaceRoot { get; init; }

    /// <summary>What the build reads outside the project's folder, as MSBuild found it (Directory.Build.*, Directory.Packages.props, referenced projects): the workspace must hold it.</summary>
    public IReadOnlyList<string> BuildInputs { get; init; } = [];

    public string? WorkspaceMode { get; init; }

    /// <summary>AgentForce: run even when nothing changed since the last success.</summary>
    public string? Force { get; init; }

    /// <summary>AgentResume: continue the last session of this target and agent.</summary>
    public string? Resume { get; init; }

    /// <summary>AgentSessionsToKeep: how many kept sessions of the workspace stay.</summary>
    public string? SessionsToKeep { get; init; }

    /// <summary>AgentSessionId: the session to continue.</summary>
    public string? SessionId { get; init; }

    /// <summary>AgentPackageCache: true (default) keeps the sandbox's NuGet packages in a volume per workspace.</summary>
    public string? PackageCache { get; init; }
    public IReadOnlyList<string> ProtectedPaths { get; init; } = [];
    public string? AllowProtectedChanges { get; init; }
    public string? CheckpointsToKeep { get; init; }
    public string? MemoryLimit { get; init; }

    /// <summary>AgentExtraMount items: the host path, and the Target and ReadOnly metadata as given.</summary>
    public IReadOnlyList<(string Source, string? Target, string? ReadOnly)> ExtraMounts { get; init; } = [];
    public string? Runtime { get; init; }
    public string? RuntimeFallback { get; init; }
    public string? CpuLimit { get; init; }
    public string? TmpSize { get; init; }
    public string? Timeout { get; init; }
    public string? Workspace { get; init; }
    public string? ReadOnlyRootFilesystem { get; init; }

    /// <summary>AgentAllowedHost items, as given.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];
    public string? EgressNetwork { get; init; }

    /// <summary>AgentCredential items, as given.</summary>
    public IReadOnlyList<CredentialInput> Credentials { get; init; } = [];

    /// <summary>The solution, in a solution-level run: the agent works on it as a whole, from its folder.</summary>
    public string? SolutionFile { get; init; }

    /// <summary>In a solution-level run: the solution's projects that do not import AgentSandbox.Sdk, full paths.</summary>
    public IReadOnlyList<string> SolutionProjectsWithoutPackage { get; init; } = [];
    public string? Verify { get; init; }
    public string? MaxIterations { get; init; }
    public string? ReviewFailOn { get; init; }
    public string? RefactorScope { get; init; }
    public string? TestScope { get; init; }

    /// <summary>AgentTestProject items: the test projects AgentTest and test verification run, instead of those found.</summary>
    public IReadOnlyList<string> TestProjects { get; init; } = [];
    public string? ReviewScope { get; init; }
}

/// <summary>An AgentCredential item as given: the host variable, and its Host, Header, Format and BaseUrlVariable metadata.</summary>
internal sealed record CredentialInput(string Variable, string? Host, string? Header, string? Format, string? BaseUrlVariable);
