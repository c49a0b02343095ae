using System.Globalization;
using System.Text.RegularExpressions;
using AgentSandbox.Agents;
using AgentSandbox.Common;
using AgentSandbox.Errors;
using AgentSandbox.Presets;
using AgentSandbox.Project;
using AgentSandbox.Review;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;
using NuGet.Versioning;

namespace AgentSandbox.Inputs;

/// <summary>The run half of the factory: prompt, preset policy, agent settings, network and the containers' environments.</summary>
internal static partial class SandboxSpecFactory
{
    public const string DefaultNetwork = AllowlistNetwork;

    /// <summary>Every agent target's name is this prefix and its preset's.</summary>
    private const string TargetPrefix = "Agent";

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableName();

    // Docker's own rule for network names.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NetworkName();

    /// <summary>
    /// MSBuild reads the environment as properties: builds the agent runs (SDK 8 and later) put bin and obj under /tmp
    /// in the container instead of into the user's tree, where Linux paths would confuse the host's next build.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> BuildOutputOutsideTheTree = new Dictionary<string, string>
    {
        ["UseArtifactsOutput"] = "true",
        ["ArtifactsPath"] = "/tmp/agentsandbox-artifacts",
    };

    /// <summary>
    /// Where the credentials come from: the build's environment, or for the keys <paramref name="InSecret"/> names,
    /// AgentKubernetesSecret's Secret, which only the egress proxy's pod reads.
    /// </summary>
    private sealed record CredentialSources(Func<string, string?> Host, string? Secret, IReadOnlySet<string> InSecret)
    {
        public bool InClusterSecret(string name) => InSecret.Contains(name);
    }

    private static AgentRunSpec CreateRun(
        string target, SandboxInputs inputs, IAgentProfile agent, NuGetVersion version, HostUser user,
        CredentialSources credentials, RunIdentity identity, List<Warning> warnings)
    {
        var hostEnvironment = credentials.Host;
        var projectDirectory = Path.GetFullPath(inputs.ProjectDirectory);
        var solution = string.IsNullOrWhiteSpace(inputs.SolutionFile) ? null : Path.GetFullPath(inputs.SolutionFile.Trim(), projectDirectory);
        if (solution is not null && inputs.SolutionProjectsWithoutPackage.Count > 0)
        {
            throw Diagnostics.SolutionProjectsWithoutPackage(target, Path.GetFileName(solution), inputs.SolutionProjectsWithoutPackage.Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList());
        }
        // A solution-level run works from the solution's folder, on the solution; AgentWorkspace narrows it to a folder of it.
        var workingDirectory = solution is null ? projectDirectory : Path.GetDirectoryName(solution)!;
        var narrowed = NarrowWorkspace(inputs, target, workingDirectory);
        workingDirectory = narrowed?.Root ?? workingDirectory;
        var workspace = narrowed ?? ChooseWorkspace(inputs, workingDirectory, warnings);
        var preset = ParsePreset(target, inputs, solution ?? inputs.ProjectFile, workingDirectory, workspace.Root);
        var invocation = new AgentInvocation(
            Prompt: PresetPrompts.Compose(preset),
            Version: version,
            Model: Supported(AgentSetting.Model, "AgentModel", string.IsNullOrWhiteSpace(inputs.Model) ? null : inputs.Model.Trim()),
            MaxTurns: Supported(AgentSetting.MaxTurns, "AgentMaxTurns", ParsePositive(inputs.MaxTurns, "AgentMaxTurns", "give a whole number of turns greater than zero")),
            ExtraArguments: Supported(AgentSetting.ExtraArguments, "AgentExtraArgs", Lists.Split(inputs.ExtraArguments) is { Count: > 0 } extra ? extra : null),
            MaxBudgetUsd: Supported(AgentSetting.MaxBudgetUsd, "AgentMaxBudgetUsd", ParseBudget(inputs.MaxBudgetUsd)),
            BaseUrl: ParseBaseUrl(agent.BaseUrlVariable, hostEnvironment));
        Supported(AgentSetting.Version, "AgentVersion", string.IsNullOrWhiteSpace(inputs.AgentVersion) ? null : inputs.AgentVersion);
        if (agent is not CustomCommandProfile)
        {
            Supported<string?>(null, "AgentCommand", string.IsNullOrWhiteSpace(inputs.AgentCommand) ? null : inputs.AgentCommand);
            Supported<string?>(null, "AgentInstallCommand", string.IsNullOrWhiteSpace(inputs.AgentInstallCommand) ? null : inputs.AgentInstallCommand);
        }
        var network = ParseNetwork(inputs.Network);
        var environment = AgentEnvironment(agent, Lists.Split(inputs.EnvironmentVariables), credentials, user, warnings);
        // After the credential: without one, where the API is does not matter yet.
        RefuseLoopbackEndpoint(agent, invocation.BaseUrl, network);
        invocation = invocation with
        {
            // The Secret the user named first.
            CredentialVariable = agent.CredentialVariables.FirstOrDefault(credentials.InClusterSecret) ?? agent.CredentialVariables.FirstOrDefault(environment.HasValue),
            PromptOnStdin = PromptOnStdin(agent, invocation.Prompt),
        };
        var readOnlyRoot = ParseBool(inputs.ReadOnlyRootFilesystem, "AgentReadOnlyRootFilesystem");
        (var sessions, invocation) = Sessions(agent, inputs, preset.Kind, user, readOnlyRoot, workingDirectory, identity, invocation, warnings);
        var buildEnvironment = BuildToolEnvironment(Lists.Split(inputs.BuildEnvironmentVariables), hostEnvironment, warnings);
        EgressPolicy? egress = null;
        if (network == AllowlistNetwork)
        {
            (egress, environment, buildEnvironment, invocation) = CreateEgress(inputs, agent, environment, buildEnvironment, invocation, workingDirectory, credentials, warnings);
        }
        var policy = new WorkspacePolicy(
            ParseChoice(inputs.WorkspaceMode, "AgentWorkspaceMode", WorkspaceMode.Copy),
            inputs.ProtectedPaths.Where(pattern => pattern.Length > 0).Distinct(StringComparer.Ordinal).ToList(),
            ParseBool(inputs.AllowProtectedChanges, "AgentAllowProtectedChanges"),
            ParsePositive(inputs.CheckpointsToKeep, "AgentCheckpointsToKeep", "give a whole number of checkpoints greater than zero") ?? WorkspacePolicy.DefaultCheckpointsToKeep);
        var limits = new SandboxLimits(ParseMemory(inputs.MemoryLimit, "AgentMemoryLimit") ?? SandboxLimits.DefaultMemoryBytes, ParseCpus(inputs.CpuLimit),
            ParseMemory(inputs.TmpSize, "AgentTmpSize") ?? SandboxLimits.DefaultTmpBytes);
        return new AgentRunSpec(target, inputs.ProjectName, solution is null ? null : Path.GetFileName(solution), agent, invocation, workingDirectory, workspace, policy, network, environment, buildEnvironment, user, preset, identity)
        {
            Limits = limits,
            Egress = egress,
            ReadOnlyRootFilesystem = readOnlyRoot,
            Sessions = sessions,
            Force = ParseBool(inputs.Force, "AgentForce"),
            Timeout = ParseDuration(inputs.Timeout, "AgentTimeout") ?? AgentRunSpec.DefaultTimeout,
            Runtime = string.IsNullOrWhiteSpace(inputs.Runtime) ? null
                : NetworkName().IsMatch(inputs.Runtime.Trim()) ? inputs.Runtime.Trim()
                : throw Diagnostics.InvalidValue("AgentRuntime", inputs.Runtime.Trim(), "give the name of a runtime the engine has, such as runsc"),
            RuntimeFallback = string.IsNullOrWhiteSpace(inputs.RuntimeFallback) || ParseBool(inputs.RuntimeFallback, "AgentRuntimeFallback"),
            PackageCacheVolume = string.IsNullOrWhiteSpace(inputs.PackageCache) || ParseBool(inputs.PackageCache, "AgentPackageCache")
                // One package cache per workspace: a repository's projects share their packages.
                ? KeptVolumeName("nuget", workspace.Root) : null,
            KeptVolumesWorkspace = workspace.Root,
            ExtraMounts = [.. inputs.ExtraMounts.Select(mount => ParseMount(mount.Source, mount.Target, mount.ReadOnly, projectDirectory)),
                .. FeedMounts(workspace.Root, workingDirectory)],
        };

        // A setting the chosen CLI (or its version) does not have is dropped with a warning rather than passed on to fail.
        T Supported<T>(AgentSetting? setting, string property, T value)
        {
            if (value is null || (setting is { } known && agent.Supports(known, version)))
            {
                return value;
            }
            warnings.Add(Diagnostics.SettingIgnored(property, agent.Describe(version), setting is null
                ? "it applies only to AgentKind custom"
                : $"remove it, or choose an agent that has it ({SupportingKinds(setting.Value)})"));
            return default!;
        }
    }

    private static string SupportingKinds(AgentSetting setting) =>
        string.Join(", ", AgentProfiles.Known.Where(p => p.Supports(setting, p.DefaultVersion)).Select(p => p.Kind).DefaultIfEmpty("none"));

    /// <summary>
    /// Linux takes at most 128 KiB in one argument: a longer prompt goes to a CLI's standard input where it reads one
    /// there, and is AGS1015 before anything starts where it does not.
    /// </summary>
    public const int LongestPromptArgument = 64 * 1024;

    private static bool PromptOnStdin(IAgentProfile agent, string prompt)
    {
        var bytes = System.Text.Encoding.UTF8.GetByteCount(prompt);
        if (bytes <= LongestPromptArgument)
        {
            return false;
        }
        return agent.TakesPromptOnStdin ? true : throw Diagnostics.PromptTooLong(agent.DisplayName, bytes, LongestPromptArgument);
    }

    /// <summary>
    /// AgentWorkspaceRoot (the project's folder or one above it), else the folder the build's inputs and repository
    /// make. A file the project's evaluation reads (an import, a referenced project, a signing key, a linked source
    /// file) outside the workspace is AGS1018 before anything runs: the sandbox's build would quietly differ from
    /// yours. The restore's nuget.config files and global.json above it are warned of (AGS1103), or, for a restore that
    /// then fails, AGS4007.
    /// </summary>
    private static WorkspaceChoice ChooseWorkspace(SandboxInputs inputs, string workingDirectory, List<Warning> warnings)
    {
        var buildInputs = inputs.BuildInputs.Where(input => !string.IsNullOrWhiteSpace(input)).Select(input => Path.GetFullPath(input.Trim(), workingDirectory)).ToList();
        // This package's own build files are not the project's: the sandbox's builds do not run agents.
        var evaluated = buildInputs.Concat(MSBuildImports.Reached(buildInputs.Where(IsMSBuildFile).Prepend(inputs.ProjectFile ?? ""), workingDirectory))
            .Where(input => (File.Exists(input) || Directory.Exists(input)) && Path.GetFileNameWithoutExtension(input) != "AgentSandbox.Sdk")
            .Distinct(StringComparer.Ordinal).ToList();
        if (string.IsNullOrWhiteSpace(inputs.WorkspaceRoot))
        {
            var choice = WorkspaceChoice.Choose(workingDirectory, evaluated, WorkspaceChoice.ProtectedDirectories);
            if (choice.LeftOut.FirstOrDefault(input => !IsRestoreInput(input)) is { } unreachable)
            {
                throw Diagnostics.BuildInputOutsideWorkspace(unreachable, choice.Root,
                    "move it into the repository: a workspace holding it would hand the agent your home, temporary or system folder");
            }
            warnings.AddRange(choice.LeftOut.Select(input => Diagnostics.InputOutsideWorkspace(input, choice.Root)));
            return choice;
        }
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(inputs.WorkspaceRoot.Trim(), workingDirectory));
        if (!Directory.Exists(root) || !SandboxPaths.IsWithin(root, workingDirectory))
        {
            throw Diagnostics.InvalidValue("AgentWorkspaceRoot", root, "give the project's folder or an existing folder above it, such as the repository root");
        }
        if (evaluated.FirstOrDefault(input => !SandboxPaths.IsWithin(root, input)) is { } outside)
        {
            var holding = WorkspaceChoice.Choose(workingDirectory, [outside], WorkspaceChoice.ProtectedDirectories);
            throw Diagnostics.BuildInputOutsideWorkspace(outside, root, holding.LeftOut.Count == 0
                ? $"set AgentWorkspaceRoot to {holding.Root}, which holds it, or leave AgentWorkspaceRoot unset"
                : "move it into the repository, or leave AgentWorkspaceRoot unset");
        }
        return new WorkspaceChoice(root, WorkspaceReason.Given, []);
    }

    private static bool IsMSBuildFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".props" or ".targets" or ".csproj" or ".fsproj" or ".vbproj" or ".proj";

    /// <summary>What only the restore or the SDK's choice reads: NuGet finds the first, the image follows the second.</summary>
    private static bool IsRestoreInput(string path) =>
        Path.GetFileName(path).Equals("nuget.config", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(path).Equals("global.json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// AgentWorkspace: the agent sees only this folder of the project. Refused when it would show more (the file
    /// system's root, a home folder, a way out by .. or a link) or break a build the target runs in the sandbox
    /// (the project file would be outside it).
    /// </summary>
    private static WorkspaceChoice? NarrowWorkspace(SandboxInputs inputs, string target, string workingDirectory)
    {
        if (string.IsNullOrWhiteSpace(inputs.Workspace))
        {
            return null;
        }
        var given = inputs.Workspace.Trim();
        if (!string.IsNullOrWhiteSpace(inputs.WorkspaceRoot))
        {
            throw Diagnostics.InvalidValue("AgentWorkspace", given, "AgentWorkspaceRoot widens the workspace and AgentWorkspace narrows it: set only one of them");
        }
        var path = Path.GetFullPath(given, workingDirectory);
        var home = Path.TrimEndingDirectorySeparator(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        var real = Directory.Exists(path) ? RealPath(path) : null;
        var problem = real is null ? "it is not a folder"
            : !SandboxPaths.IsWithin(RealPath(workingDirectory), real) ? "it is not inside the project's folder (by .. or through a link)"
            : Path.GetPathRoot(real) == real ? "it is the file system's root"
            : home.Length > 0 && SandboxPaths.IsWithin(real, home) ? "it is your home folder or holds it"
            : null;
        if (problem is not null)
        {
            throw Diagnostics.InvalidValue("AgentWorkspace", given, $"{problem}; give a folder of the project, such as src or docs");
        }
        var builds = !(string.Equals(target, "AgentRun", StringComparison.OrdinalIgnoreCase) || string.Equals(target, "AgentReview", StringComparison.OrdinalIgnoreCase))
            && !string.Equals(inputs.Verify?.Trim(), "none", StringComparison.OrdinalIgnoreCase);
        if (builds && real != RealPath(workingDirectory))
        {
            throw Diagnostics.InvalidValue("AgentWorkspace", given, $"{target} builds the project in the sandbox, and the project file would be outside the narrowed workspace; use AgentRun or AgentReview, or set AgentVerify=none");
        }
        return new WorkspaceChoice(real!, WorkspaceReason.Narrowed, []);
    }

    /// <param name="buildFile">The project (or, in a solution-level run, the solution) the sandbox's builds build.</param>
    /// <param name="workingDirectory">The project's folder (or the solution's): scopes are relative to it.</param>
    private static PresetSpec ParsePreset(string target, SandboxInputs inputs, string? buildFile, string workingDirectory, string workspaceRoot)
    {
        // The targets name themselves; case is forgiven, as MSBuild forgives it in target names.
        var preset = Enum.GetValues<AgentPreset>().Cast<AgentPreset?>()
            .FirstOrDefault(kind => string.Equals(TargetPrefix + kind, target.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw Diagnostics.UnknownValue("the agent target", target, Enum.GetNames<AgentPreset>().Select(name => TargetPrefix + name));
        var task = ReadPrompt(inputs, Path.GetFullPath(inputs.ProjectDirectory), required: preset == AgentPreset.Run);
        var verify = ParseChoice(inputs.Verify, "AgentVerify", DefaultVerify(preset));
        var failOn = ParseChoice(inputs.ReviewFailOn, "AgentReviewFailOn", ReviewFailOn.Error);
        var maxIterations = ParsePositive(inputs.MaxIterations, "AgentMaxIterations", "give a whole number of iterations greater than zero") ?? PresetSpec.DefaultMaxIterations;
        var projectFile = string.IsNullOrWhiteSpace(buildFile) ? ""
            : Path.GetRelativePath(workspaceRoot, Path.GetFullPath(buildFile.Trim(), workingDirectory)).Replace('\\', '/');
        var scopeProperty = preset switch
        {
            AgentPreset.Refactor => inputs.RefactorScope,
            AgentPreset.Test => inputs.TestScope,
            AgentPreset.Review => inputs.ReviewScope,
            _ => null,
        };
        var entries = Lists.Split(scopeProperty);
        foreach (var entry in entries)
        {
            // A typo in a scope would send the agent after nothing, and pay for it: the project or the workspace must have it.
            if (!FilePattern.MatchesAny(entry, workingDirectory) && (workspaceRoot == workingDirectory || !FilePattern.MatchesAny(entry, workspaceRoot)))
            {
                throw Diagnostics.ScopeMatchesNothing($"Agent{preset}Scope", entry, workingDirectory);
            }
        }
        var scope = entries.Count > 0 ? string.Join(";", entries) : null;
        return new PresetSpec(preset, task, scope, verify, maxIterations, failOn, projectFile)
        {
            TestProjects = preset == AgentPreset.Test || verify == VerifyMode.Test ? FindTestProjects(inputs, buildFile, workingDirectory, workspaceRoot) : [],
        };
    }

    /// <summary>
    /// The test projects that cover the project, relative to the workspace: AgentTestProject items (each must exist
    /// in the workspace), else the project itself when it is one, else the workspace's test projects that reference
    /// it. A solution-level run tests the solution, which holds them.
    /// </summary>
    private static IReadOnlyList<TestedProject> FindTestProjects(SandboxInputs inputs, string? buildFile, string workingDirectory, string workspaceRoot)
    {
        static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path) : null;
        if (inputs.TestProjects.Count > 0)
        {
            return inputs.TestProjects.Select(item => Path.GetFullPath(item.Trim(), workingDirectory)).Distinct(StringComparer.Ordinal).Select(path =>
                !File.Exists(path) ? throw Diagnostics.InvalidValue("AgentTestProject", path, "give the path of an existing test project file")
                : !SandboxPaths.IsWithin(workspaceRoot, path) ? throw Diagnostics.InvalidValue("AgentTestProject", path, $"it is outside the workspace {workspaceRoot}; set AgentWorkspaceRoot to a folder that holds both")
                : TestProjects.Named(path, workspaceRoot, Read)).ToList();
        }
        if (string.IsNullOrWhiteSpace(buildFile) || !TestProjects.IsProjectFile(buildFile.Trim()))
        {
            return [];
        }
        return TestProjects.Covering(Path.GetFullPath(buildFile.Trim(), workingDirectory), TestProjects.InFolder(workspaceRoot), workspaceRoot, Read);
    }

    /// <summary>One of an enum's names, case-insensitively; not a number or a comma list, which Enum.TryParse would take.</summary>
    private static T ParseChoice<T>(string? value, string property, T fallback) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }
        var name = Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, value.Trim(), StringComparison.OrdinalIgnoreCase));
        return name is not null ? Enum.Parse<T>(name) : throw Diagnostics.UnknownValue(property, value.Trim(), Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
    }

    /// <summary>What each preset promises: refactored code still builds, written tests pass, a review changes nothing.</summary>
    private static VerifyMode DefaultVerify(AgentPreset preset) => preset switch
    {
        AgentPreset.Refactor or AgentPreset.Fix => VerifyMode.Build,
        AgentPreset.Test => VerifyMode.Test,
        _ => VerifyMode.None,
    };

    /// <returns>The prompt text; null when none is given and it is not <paramref name="required"/>.</returns>
    private static string? ReadPrompt(SandboxInputs inputs, string projectDirectory, bool required)
    {
        var hasPrompt = !string.IsNullOrWhiteSpace(inputs.Prompt);
        var hasFile = !string.IsNullOrWhiteSpace(inputs.PromptFile);
        if (hasPrompt && hasFile)
        {
            throw Diagnostics.PromptGivenTwice();
        }
        if (hasFile)
        {
            var path = Path.GetFullPath(inputs.PromptFile!.Trim(), projectDirectory);
            if (!File.Exists(path))
            {
                throw Diagnostics.PromptFileMissing(path);
            }
            var text = File.ReadAllText(path);
            return !string.IsNullOrWhiteSpace(text) ? text.Trim() : required ? throw Diagnostics.NoPrompt() : null;
        }
        return hasPrompt ? inputs.Prompt!.Trim() : required ? throw Diagnostics.NoPrompt() : null;
    }

    /// <summary>AgentMemoryLimit, AgentTmpSize: bytes, or a number with k, m or g (binary units, as Docker reads them); at least 6 MiB, which the engine requires of memory.</summary>
    private static long? ParseMemory(string? value, string property)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var text = value.Trim().ToLowerInvariant().TrimEnd('b');
        var unit = text.Length > 0 ? text[^1] switch { 'k' => 1024L, 'm' => 1024L * 1024, 'g' => 1024L * 1024 * 1024, _ => 1L } : 1L;
        var number = unit == 1 ? text : text[..^1];
        return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount > 0 && amount <= long.MaxValue / unit && amount * unit >= 6 * 1024 * 1024
            ? amount * unit
            : throw Diagnostics.InvalidValue(property, value.Trim(), "give an amount of at least 6m, such as 4g or 512m");
    }

    /// <summary>A duration as 90s, 45m, 2h or hh:mm:ss; more than zero and at most a week.</summary>
    private static TimeSpan? ParseDuration(string? value, string property)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var text = value.Trim().ToLowerInvariant();
        TimeSpan? duration = text.Length > 1 && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            ? text[^1] switch { 's' => TimeSpan.FromSeconds(amount), 'm' => TimeSpan.FromMinutes(amount), 'h' => TimeSpan.FromHours(amount), _ => null }
            : text.Contains(':') && TimeSpan.TryParseExact(text, @"h\:mm\:ss", CultureInfo.InvariantCulture, out var clock) ? clock
            : null;
        return duration is { } positive && positive > TimeSpan.Zero && positive <= TimeSpan.FromDays(7)
            ? positive
            : throw Diagnostics.InvalidValue(property, value.Trim(), "give a duration of more than zero, such as 90s, 45m, 2h or 01:30:00");
    }

    /// <summary>AgentCpuLimit: a number of CPUs greater than zero, such as 2 or 1.5; empty for no limit.</summary>
    private static double? ParseCpus(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        return double.TryParse(value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus) && cpus > 0 && cpus <= 1024
            ? cpus
            : throw Diagnostics.InvalidValue("AgentCpuLimit", value.Trim(), "give a number of CPUs greater than zero, such as 2 or 1.5");
    }

    /// <summary>
    /// An AgentExtraMount, refused when it would hand the agent the machine: the engine's socket (which is the machine),
    /// the file system's root, a home folder or one above it, or anything that only a link makes look harmless.
    /// </summary>
    private static SandboxMount ParseMount(string source, string? target, string? readOnly, string projectDirectory)
    {
        var path = Path.GetFullPath(source.Trim(), projectDirectory);
        // What the container would really get: the path with every link on it resolved.
        var real = Path.Exists(path) ? RealPath(path) : null;
        var problem = HostMountProblem(real);
        var inside = string.IsNullOrWhiteSpace(target) ? "" : target.Trim();
        if (problem is null && (!inside.StartsWith('/') || inside == "/" || inside.Split('/').Contains("..") || inside.TrimEnd('/') == SandboxPaths.Workspace || inside.StartsWith(SandboxPaths.Workspace + "/", StringComparison.Ordinal)))
        {
            problem = $"its ContainerPath '{inside}' must be an absolute path in the container, outside {SandboxPaths.Workspace}";
        }
        return problem is null
            ? new SandboxMount(real!, inside, string.IsNullOrWhiteSpace(readOnly) || ParseBool(readOnly, "AgentExtraMount's ReadOnly"))
            : throw Diagnostics.MountRefused(source.Trim(), problem);
    }

    /// <summary>
    /// Where the agent's conversations are kept, and which one this run continues: AgentSessionId, else with
    /// AgentResume the last one of this target (found when the run starts), else none. They are kept between runs only
    /// when the user asks for it (AgentResume, AgentSessionId): a kept conversation, and what a CLI keeps beside it
    /// (Claude Code's memory), is how one run can steer the next. AgentFix's rounds keep theirs for the run alone. A CLI
    /// that cannot continue a session here, or a read-only root that leaves it no place to keep one, starts a fresh
    /// one with AGS4108.
    /// </summary>
    private static (AgentSessions?, AgentInvocation) Sessions(
        IAgentProfile agent, SandboxInputs inputs, AgentPreset preset, HostUser user, bool readOnlyRoot, string workingDirectory, RunIdentity identity,
        AgentInvocation invocation, List<Warning> warnings)
    {
        var resume = ParseBool(inputs.Resume, "AgentResume");
        var sessionId = string.IsNullOrWhiteSpace(inputs.SessionId) ? null : inputs.SessionId.Trim();
        if (sessionId is not null && !IsSessionId(sessionId))
        {
            throw Diagnostics.InvalidValue("AgentSessionId", sessionId, "give a session id as an earlier run's result.json names it (sessionId)");
        }
        var toKeep = ParsePositive(inputs.SessionsToKeep, "AgentSessionsToKeep", "give a whole number of sessions greater than zero") ?? AgentSessions.DefaultToKeep;
        var resumes = agent.Resumes(invocation.Version);
        if (!resumes || readOnlyRoot)
        {
            if (resume || sessionId is not null)
            {
                warnings.Add(Diagnostics.SessionNotResumed(agent.DisplayName, agent.ResumesSince is not { } since
                    ? "it cannot continue a session here (Claude Code, Codex and Gemini CLI can)"
                    : !resumes
                    ? $"version {invocation.Version.ToNormalizedString()} cannot continue one by its id; AgentVersion {since.ToNormalizedString()} or later can"
                    : "AgentReadOnlyRootFilesystem leaves it no place to keep its sessions"));
            }
            return (null, invocation);
        }
        var folder = $"{(user.IsRoot ? "/root" : Image.DockerfileGenerator.AgentHome)}/{agent.SessionFolder}";
        if (resume || sessionId is not null)
        {
            return (new AgentSessions(KeptVolumeName("session", $"{workingDirectory}\n{agent.Kind}"), folder, ResumeLast: resume && sessionId is null, ToKeep: toKeep),
                invocation with { ResumeSession = sessionId });
        }
        return (preset == AgentPreset.Fix ? new AgentSessions($"agentsandbox-session-run-{identity.RunId}", folder, ResumeLast: false, Discard: true) : null, invocation);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex SessionIdText();

    /// <summary>Whether a text can be a CLI's session id: what goes to --resume is never an option or a path.</summary>
    public static bool IsSessionId(string text) => SessionIdText().IsMatch(text);

    /// <summary>
    /// The engine volume kept for what <paramref name="owner"/> names (a workspace's path for its package cache, a
    /// project's and agent's for its sessions): the same owner always gets the same volume.
    /// </summary>
    private static string KeptVolumeName(string kind, string owner) =>
        $"agentsandbox-{kind}-" + Text.ShortHash(owner);

    /// <summary>Why a host path (links resolved; null when it does not exist) may not go into the sandbox; null when it may.</summary>
    private static string? HostMountProblem(string? real)
    {
        var home = Path.TrimEndingDirectorySeparator(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        return real is null ? "it does not exist"
            : Path.GetFileName(real).Contains("docker.sock", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(real).EndsWith(".sock", StringComparison.OrdinalIgnoreCase)
                ? "it is an engine's socket, through which the agent would command the machine"
            : Path.GetPathRoot(real) == real ? "it is the file system's root"
            : home.Length > 0 && SandboxPaths.IsWithin(real, home) ? "it is your home folder or holds it"
            : Directory.Exists(real) && Directory.EnumerateFiles(real, "*.sock", new EnumerationOptions { IgnoreInaccessible = true, RecurseSubdirectories = false }).Any()
                ? "it holds sockets (such as an engine's)"
            : null;
    }

    /// <summary>
    /// The local feeds outside the workspace that its nuget.config files name, read-only where the sandbox's restore
    /// looks for them; a feed that cannot go there is AGS1016 before anything runs, never NU1101 for the agent to chase.
    /// </summary>
    private static IEnumerable<SandboxMount> FeedMounts(string workspaceRoot, string workingDirectory)
    {
        foreach (var feed in LocalFeeds.OutsideWorkspace(workspaceRoot, workingDirectory))
        {
            var real = RealPath(feed.HostPath);
            var problem = HostMountProblem(real)
                ?? (SandboxPaths.IsWithin(real, workspaceRoot) ? "it holds the workspace, which would then be readable twice and beyond it" : null)
                ?? LocalFeeds.ContainerPathProblem(feed.ContainerPath);
            yield return problem is null ? new SandboxMount(real, feed.ContainerPath, ReadOnly: true) { LocalFeed = true } : throw Diagnostics.FeedNotMountable(feed.HostPath, feed.Config, problem);
        }
    }

    private static string RealPath(string path)
    {
        var current = Path.GetPathRoot(path)!;
        foreach (var part in path[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            if (new FileInfo(current).ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                current = target.FullName;
            }
        }
        return Path.TrimEndingDirectorySeparator(current);
    }

    private static bool ParseBool(string? value, string property) =>
        string.IsNullOrWhiteSpace(value) ? false
        : bool.TryParse(value.Trim(), out var flag) ? flag
        : throw Diagnostics.InvalidValue(property, value.Trim(), "give true or false");

    private static int? ParsePositive(string? value, string property, string expected)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw Diagnostics.InvalidValue(property, value, expected);
    }

    private static decimal? ParseBudget(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        return decimal.TryParse(value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var usd) && usd > 0
            ? usd
            : throw Diagnostics.InvalidValue("AgentMaxBudgetUsd", value, "give an amount in US dollars greater than zero, such as 0.50");
    }

    /// <summary>The host's value of the profile's base URL variable, for a CLI that gets it as an argument: it must be an http(s) URL.</summary>
    private static string? ParseBaseUrl(string? variable, Func<string, string?> hostEnvironment)
    {
        if (variable is null || hostEnvironment(variable) is not { Length: > 0 } value)
        {
            return null;
        }
        return Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? value.Trim()
            // Not echoed: a gateway URL may carry a token.
            : throw Diagnostics.InvalidValue(variable, "its value", "give the API's http:// or https:// URL, such as https://api.openai.com/v1 (the value is not shown: it may hold a token)");
    }

    /// <summary>
    /// A gateway on this machine's loopback address is out of reach from the sandbox, where 127.0.0.1 is the container
    /// itself: the CLI would retry for minutes and then fail with "connection refused". Only the host network shares it.
    /// </summary>
    private static void RefuseLoopbackEndpoint(IAgentProfile agent, string? baseUrl, string network)
    {
        if (baseUrl is not null && network != "host" && Uri.TryCreate(baseUrl, UriKind.Absolute, out var url) && url.IsLoopback)
        {
            throw Diagnostics.LoopbackEndpoint(agent.BaseUrlVariable!, url.Host, agent.DisplayName, network);
        }
    }

    private static string ParseNetwork(string? value)
    {
        var network = string.IsNullOrWhiteSpace(value) ? DefaultNetwork : value.Trim();
        return NetworkName().IsMatch(network)
            ? network
            : throw Diagnostics.InvalidValue("AgentNetwork", network, "use allowlist, bridge, host, none or the name of an existing Docker network");
    }

    private static ContainerEnvironment AgentEnvironment(
        IAgentProfile agent, IReadOnlyList<string> requested, CredentialSources credentials, HostUser user, List<Warning> warnings)
    {
        var hostEnvironment = credentials.Host;
        var environment = ContainerEnvironment.Empty
            .With(BuildOutputOutsideTheTree, secret: false)
            .With(agent.SandboxEnvironment, secret: false)
            .With(user.IsRoot ? agent.RootEnvironment : [], secret: false);
        foreach (var name in agent.CredentialVariables.Concat(agent.OptionalVariables).Concat(ProxyVariables.Names))
        {
            // A key of the cluster's Secret stays there: the build never holds it.
            if (!credentials.InClusterSecret(name) && hostEnvironment(name) is { Length: > 0 } hostValue)
            {
                environment = environment.With(name, hostValue);
            }
        }
        environment = AddRequested(environment, "AgentEnvironmentVariables", requested, hostEnvironment, warnings);
        if (agent.CredentialVariables.Count > 0 && !agent.CredentialVariables.Any(name => environment.HasValue(name) || credentials.InClusterSecret(name)))
        {
            throw credentials.Secret is { } secret
                ? Diagnostics.NoCredentialInSecret(agent.DisplayName, agent.CredentialVariables, secret)
                : Diagnostics.NoCredential(agent.DisplayName, agent.CredentialVariables);
        }
        return environment;
    }

    /// <summary>
    /// The environment of the builds inside the sandbox (AgentFix, AgentVerify): proxies and what
    /// AgentBuildEnvironmentVariables names, such as a private feed's credentials; never the agent's credentials,
    /// as the code being built is the agent's.
    /// </summary>
    private static ContainerEnvironment BuildToolEnvironment(IReadOnlyList<string> requested, Func<string, string?> hostEnvironment, List<Warning> warnings) =>
        AddRequested(ContainerEnvironment.Empty.With(ProxyVariables.FromHost(hostEnvironment)), "AgentBuildEnvironmentVariables", requested, hostEnvironment, warnings);

    /// <summary>NAME passes the build's value, NAME=value sets one; every value counts as a secret.</summary>
    private static ContainerEnvironment AddRequested(
        ContainerEnvironment environment, string property, IReadOnlyList<string> requested, Func<string, string?> hostEnvironment, List<Warning> warnings)
    {
        foreach (var (entry, position) in requested.Select((e, i) => (e, i + 1)))
        {
            var separator = entry.IndexOf('=');
            var name = separator < 0 ? entry : entry[..separator];
            if (!VariableName().IsMatch(name))
            {
                // Not echoed: a malformed entry is often a secret pasted where its name belongs.
                throw Diagnostics.InvalidValue(property, $"entry {position}", "give NAME to pass the build's value or NAME=value to set one (the entry is not shown: it may hold a secret)");
            }
            if (separator >= 0)
            {
                environment = environment.With(name, entry[(separator + 1)..]);
            }
            else if (hostEnvironment(name) is { Length: > 0 } hostValue)
            {
                environment = environment.With(name, hostValue);
            }
            else
            {
                warnings.Add(Diagnostics.HostVariableNotSet(property, name));
            }
        }
        return environment;
    }
}
