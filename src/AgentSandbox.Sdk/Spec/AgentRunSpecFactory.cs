using System.Globalization;
using System.Text.RegularExpressions;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Project;

namespace AgentSandbox.Spec;

/// <summary>The MSBuild inputs of a run, as given (unvalidated).</summary>
public sealed record AgentRunInputs(
    string TargetName,
    string ProjectDirectory,
    string? Prompt,
    string? PromptFile,
    string? AgentKind,
    string? AgentVersion,
    string? Model,
    string? MaxTurns,
    string? ExtraArguments,
    string? Network,
    string? EnvironmentVariables);

/// <summary>Validates run inputs and resolves them against the build's environment into an <see cref="AgentRunSpec"/>.</summary>
public static partial class AgentRunSpecFactory
{
    public const string DefaultNetwork = "bridge";

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex VariableName();

    // Docker's own rule for network names.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NetworkName();

    /// <param name="hostEnvironment">Reads the build's environment (credentials are taken from here, by name).</param>
    public static (AgentRunSpec Spec, IReadOnlyList<Warning> Warnings) Create(AgentRunInputs inputs, Func<string, string?> hostEnvironment, HostUser user)
    {
        var agent = AgentProfiles.Find(inputs.AgentKind);
        var invocation = new AgentInvocation(
            Prompt: ReadPrompt(inputs),
            Version: SandboxImageSpecFactory.ParseAgentVersion(inputs.AgentVersion, agent),
            Model: string.IsNullOrWhiteSpace(inputs.Model) ? null : inputs.Model.Trim(),
            MaxTurns: ParseMaxTurns(inputs.MaxTurns),
            ExtraArguments: SplitList(inputs.ExtraArguments));
        var network = ParseNetwork(inputs.Network);
        var (environment, warnings) = BuildEnvironment(agent, SplitList(inputs.EnvironmentVariables), hostEnvironment, user);
        return (new AgentRunSpec(inputs.TargetName, agent, invocation, inputs.ProjectDirectory, network, environment, user), warnings);
    }

    /// <summary>
    /// A ;-separated property value, split here rather than as an MSBuild item, which would take `*` and `?` in
    /// `Bash(git:*)` or `A=x*y` for file patterns and drop them.
    /// </summary>
    public static IReadOnlyList<string> SplitList(string? value) =>
        (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string ReadPrompt(AgentRunInputs inputs)
    {
        var hasPrompt = !string.IsNullOrWhiteSpace(inputs.Prompt);
        var hasFile = !string.IsNullOrWhiteSpace(inputs.PromptFile);
        if (hasPrompt && hasFile)
        {
            throw Diagnostics.PromptGivenTwice();
        }
        if (hasFile)
        {
            var path = Path.GetFullPath(inputs.PromptFile!.Trim(), inputs.ProjectDirectory);
            if (!File.Exists(path))
            {
                throw Diagnostics.PromptFileMissing(path);
            }
            var text = File.ReadAllText(path);
            return string.IsNullOrWhiteSpace(text) ? throw Diagnostics.NoPrompt() : text.Trim();
        }
        return hasPrompt ? inputs.Prompt!.Trim() : throw Diagnostics.NoPrompt();
    }

    private static int? ParseMaxTurns(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var turns) && turns > 0
            ? turns
            : throw Diagnostics.InvalidValue("AgentMaxTurns", value, "give a whole number of turns greater than zero");
    }

    private static string ParseNetwork(string? value)
    {
        var network = string.IsNullOrWhiteSpace(value) ? DefaultNetwork : value.Trim();
        return NetworkName().IsMatch(network)
            ? network
            : throw Diagnostics.InvalidValue("AgentNetwork", network, "use bridge, host, none or the name of an existing Docker network");
    }

    private static (ContainerEnvironment, IReadOnlyList<Warning>) BuildEnvironment(
        IAgentProfile agent, IReadOnlyList<string> requested, Func<string, string?> hostEnvironment, HostUser user)
    {
        var environment = new ContainerEnvironment();
        var warnings = new List<Warning>();
        foreach (var (name, value) in agent.SandboxEnvironment)
        {
            environment.Set(name, value, secret: false);
        }
        if (user.IsRoot)
        {
            foreach (var (name, value) in agent.RootEnvironment)
            {
                environment.Set(name, value, secret: false);
            }
        }
        foreach (var name in agent.CredentialVariables.Concat(agent.OptionalVariables).Concat(ProxyVariables.Names))
        {
            if (hostEnvironment(name) is { Length: > 0 } hostValue)
            {
                environment.Set(name, hostValue);
            }
        }
        foreach (var (entry, position) in requested.Select((e, i) => (e, i + 1)))
        {
            var separator = entry.IndexOf('=');
            var name = separator < 0 ? entry : entry[..separator];
            if (!VariableName().IsMatch(name))
            {
                // Not echoed: a malformed entry is often a secret pasted where its name belongs.
                throw Diagnostics.InvalidValue("AgentEnvironmentVariables", $"entry {position}", "give NAME to pass the build's value or NAME=value to set one (the entry is not shown: it may hold a secret)");
            }
            if (separator >= 0)
            {
                environment.Set(name, entry[(separator + 1)..]);
            }
            else if (hostEnvironment(name) is { Length: > 0 } hostValue)
            {
                environment.Set(name, hostValue);
            }
            else
            {
                warnings.Add(Diagnostics.HostVariableNotSet(name));
            }
        }
        if (!agent.CredentialVariables.Any(environment.HasValue))
        {
            throw Diagnostics.NoCredential(agent.DisplayName, agent.CredentialVariables);
        }
        return (environment, warnings);
    }
}
