using NuGet.Versioning;

namespace AgentSandbox.Agents;

/// <summary>
/// Everything AgentSandbox knows about one agent CLI: how it is installed, called, credentialed and parsed.
/// Adding an agent means adding one profile file and registering it in <see cref="AgentProfiles"/>.
/// </summary>
public interface IAgentProfile
{
    /// <summary>The AgentKind value that selects this profile.</summary>
    string Kind { get; }

    string DisplayName { get; }

    /// <summary>The npm package that installs the CLI, and the version known to work with this release.</summary>
    string NpmPackage { get; }

    NuGetVersion DefaultVersion { get; }

    /// <summary>The executable the package puts on PATH.</summary>
    string Executable { get; }

    /// <summary>At least one of these must be set for the agent to authenticate.</summary>
    IReadOnlyList<string> CredentialVariables { get; }

    /// <summary>Passed to the container by name when set on the host (endpoints, model choice).</summary>
    IReadOnlyList<string> OptionalVariables { get; }

    /// <summary>Set in every container of this agent (no telemetry, no self-update: the image is pinned).</summary>
    IReadOnlyDictionary<string, string> SandboxEnvironment { get; }

    /// <summary>Added when the agent has to run as root, for CLIs that refuse full autonomy as root otherwise.</summary>
    IReadOnlyDictionary<string, string> RootEnvironment { get; }

    /// <summary>The full command line (executable first), one argument per element: it never goes through a shell.</summary>
    IReadOnlyList<string> BuildCommand(AgentInvocation invocation);

    /// <summary>A fresh parser for one run's standard output.</summary>
    IAgentOutputParser CreateParser();
}

/// <summary>What the user asked the agent to do, independent of the CLI.</summary>
public sealed record AgentInvocation(
    string Prompt,
    NuGetVersion Version,
    string? Model = null,
    int? MaxTurns = null,
    IReadOnlyList<string>? ExtraArguments = null);
