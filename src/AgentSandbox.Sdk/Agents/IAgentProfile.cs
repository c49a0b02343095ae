using NuGet.Versioning;

namespace AgentSandbox.Agents;

/// <summary>
/// Everything AgentSandbox knows about one agent CLI: how it is installed, called, credentialed and parsed.
/// Adding an agent means adding one profile file and registering it in <see cref="AgentProfiles"/>.
/// </summary>
internal interface IAgentProfile
{
    /// <summary>The AgentKind value that selects this profile.</summary>
    string Kind { get; }

    string DisplayName { get; }

    /// <summary>The npm package that installs the CLI; null when the agent is not installed from npm.</summary>
    string? NpmPackage { get; }

    /// <summary>The version known to work with this release; AgentVersion overrides it.</summary>
    NuGetVersion DefaultVersion { get; }

    /// <summary>A shell command run as root while the image is built (custom agents); null for none.</summary>
    string? InstallCommand => null;

    /// <summary>The oldest Node.js major version the CLI runs on; null when any will do.</summary>
    int? MinimumNodeMajor => null;

    /// <summary>
    /// A shell command run in the installed package's folder that removes what the CLI does not need at run time (other
    /// platforms' binaries, copies); it must leave the CLI working, which the install checks. Null for none.
    /// </summary>
    string? InstallLeftovers => null;

    /// <summary>The executable the package puts on PATH.</summary>
    string Executable { get; }

    /// <summary>At least one of these must be set for the agent to authenticate; empty when the agent needs none we know of.</summary>
    IReadOnlyList<string> CredentialVariables { get; }

    /// <summary>Passed to the container by name when set on the host (endpoints, model choice).</summary>
    IReadOnlyList<string> OptionalVariables { get; }

    /// <summary>The host variable that names the API endpoint (a gateway): checked before the run, and given to <see cref="BuildCommand"/>.</summary>
    string? BaseUrlVariable => null;

    /// <summary>The API's base URL when <see cref="BaseUrlVariable"/> is not set; null when the profile does not know it.</summary>
    string? DefaultBaseUrl => null;

    /// <summary>
    /// How the API takes each of <see cref="CredentialVariables"/>: with AgentNetwork=allowlist the egress proxy adds
    /// it in that header, and the agent has only a stand-in.
    /// </summary>
    IReadOnlyList<ProxiedCredential> ProxiedCredentials => [];

    /// <summary>Set in every container of this agent (no telemetry, no self-update: the image is pinned).</summary>
    IReadOnlyDictionary<string, string> SandboxEnvironment { get; }

    /// <summary>Added when the agent has to run as root, for CLIs that refuse full autonomy as root otherwise.</summary>
    IReadOnlyDictionary<string, string> RootEnvironment { get; }

    /// <summary>"Claude Code 2.1.328": how a run names the agent.</summary>
    string Describe(NuGetVersion version) => $"{DisplayName} {version.ToNormalizedString()}";

    /// <summary>Whether this version of the CLI honours a setting; unsupported settings are ignored with warning AGS1102.</summary>
    bool Supports(AgentSetting setting, NuGetVersion version);

    /// <summary>
    /// Configuration files the image holds, by absolute path, written as root and readable by all. They are part of the
    /// image, so they must never hold a secret.
    /// </summary>
    IReadOnlyDictionary<string, string> ImageFiles(NuGetVersion version) => new Dictionary<string, string>();

    /// <summary>What a non-zero exit code of this CLI means, for a failure that reports no reason of its own; null when unknown.</summary>
    string? ExplainExitCode(long exitCode) => null;

    /// <summary>Whether the CLI takes its prompt on standard input (<see cref="AgentInvocation.PromptOnStdin"/>): the way for prompts too long for an argument.</summary>
    bool TakesPromptOnStdin => false;

    /// <summary>
    /// Where, under the agent's home, the CLI keeps its conversations: kept between runs in a volume of the project's
    /// and agent's own, so that a later run (AgentResume, AgentFix's next round) continues one. Only the conversations:
    /// settings, hooks or memory files beside them would let one run steer every later one. Null for a CLI that
    /// cannot continue a session here.
    /// </summary>
    string? SessionFolder => null;

    /// <summary>The oldest version that continues a session by its id; older ones start a fresh one with AGS4108.</summary>
    NuGetVersion? ResumesSince => SessionFolder is null ? null : new NuGetVersion(0, 0, 0);

    /// <summary>Whether this version continues a session (<see cref="AgentInvocation.ResumeSession"/>) kept in <see cref="SessionFolder"/>.</summary>
    bool Resumes(NuGetVersion version) => SessionFolder is not null && ResumesSince is { } since && version >= since;

    /// <summary>The full command line (executable first), one argument per element: it never goes through a shell.</summary>
    IReadOnlyList<string> BuildCommand(AgentInvocation invocation);

    /// <summary>Whether this version prints a final result event (turns, tokens); without one, warning AGS4102 says the output format changed.</summary>
    bool PrintsResultEvent(NuGetVersion version) => true;

    /// <summary>A fresh parser for one run's standard output, for the installed version's output format.</summary>
    IAgentOutputParser CreateParser(NuGetVersion version);
}

/// <summary>Run settings that not every CLI (or version) has.</summary>
internal enum AgentSetting
{
    Model,
    MaxTurns,
    MaxBudgetUsd,
    ExtraArguments,
    Version,
}

/// <summary>What the user asked the agent to do, independent of the CLI. Unsupported settings are already null here.</summary>
/// <param name="BaseUrl">The host's value of the profile's <see cref="IAgentProfile.BaseUrlVariable"/>, for CLIs that take it as an argument.</param>
/// <param name="CredentialVariable">The first of the profile's credential variables the container gets, for CLIs that are told its name.</param>
/// <param name="PromptOnStdin">The prompt goes to the CLI's standard input, not its command line (a prompt too long for an argument).</param>
/// <param name="ResumeSession">The session (kept in <see cref="IAgentProfile.SessionFolder"/>) this run continues; null for a new one.</param>
internal sealed record AgentInvocation(
    string Prompt,
    NuGetVersion Version,
    string? Model = null,
    int? MaxTurns = null,
    IReadOnlyList<string>? ExtraArguments = null,
    decimal? MaxBudgetUsd = null,
    string? BaseUrl = null,
    string? CredentialVariable = null,
    bool PromptOnStdin = false,
    string? ResumeSession = null);
