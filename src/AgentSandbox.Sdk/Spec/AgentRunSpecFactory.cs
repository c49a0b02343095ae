using System.Globalization;
using System.Text.RegularExpressions;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Presets;
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
    string? EnvironmentVariables,
    string? MaxBudgetUsd = null,
    string? AgentCommand = null,
    string? AgentInstallCommand = null,
    string? Preset = null,
    string? Scope = null,
    string? Verify = null,
    string? MaxIterations = null,
    string? ReviewFailOn = null,
    string? ProjectFile = null,
    string? BuildEnvironmentVariables = null,
    string? WorkspaceRoot = null);

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
        var agent = AgentProfiles.Find(inputs.AgentKind, inputs.AgentCommand, inputs.AgentInstallCommand);
        var version = SandboxImageSpecFactory.ParseAgentVersion(inputs.AgentVersion, agent);
        var workspaceRoot = ParseWorkspaceRoot(inputs);
        var preset = ParsePreset(inputs, workspaceRoot);
        var warnings = new List<Warning>();
        var invocation = new AgentInvocation(
            Prompt: PresetPrompts.Compose(preset),
            Version: version,
            Model: Supported(AgentSetting.Model, "AgentModel", string.IsNullOrWhiteSpace(inputs.Model) ? null : inputs.Model.Trim()),
            MaxTurns: Supported(AgentSetting.MaxTurns, "AgentMaxTurns", ParsePositive(inputs.MaxTurns, "AgentMaxTurns", "give a whole number of turns greater than zero")),
            ExtraArguments: Supported(AgentSetting.ExtraArguments, "AgentExtraArgs", SplitList(inputs.ExtraArguments) is { Count: > 0 } extra ? extra : null),
            MaxBudgetUsd: Supported(AgentSetting.MaxBudgetUsd, "AgentMaxBudgetUsd", ParseBudget(inputs.MaxBudgetUsd)),
            BaseUrl: ParseBaseUrl(agent.BaseUrlVariable, hostEnvironment));
        Supported(AgentSetting.Version, "AgentVersion", string.IsNullOrWhiteSpace(inputs.AgentVersion) ? null : inputs.AgentVersion);
        if (agent is not CustomCommandProfile)
        {
            Supported<string?>(null, "AgentCommand", string.IsNullOrWhiteSpace(inputs.AgentCommand) ? null : inputs.AgentCommand);
            Supported<string?>(null, "AgentInstallCommand", string.IsNullOrWhiteSpace(inputs.AgentInstallCommand) ? null : inputs.AgentInstallCommand);
        }
        var network = ParseNetwork(inputs.Network);
        var environment = BuildEnvironment(agent, SplitList(inputs.EnvironmentVariables), hostEnvironment, user, warnings);
        invocation = invocation with { CredentialVariable = agent.CredentialVariables.FirstOrDefault(environment.HasValue) };
        var buildEnvironment = BuildToolEnvironment(SplitList(inputs.BuildEnvironmentVariables), hostEnvironment, warnings);
        return (new AgentRunSpec(inputs.TargetName, agent, invocation, inputs.ProjectDirectory, network, environment, user, preset)
        {
            BuildEnvironment = buildEnvironment,
            WorkspaceRoot = workspaceRoot,
        }, warnings);

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

    /// <summary>The project directory, or a parent that holds what the project needs (sibling projects, shared props).</summary>
    private static string ParseWorkspaceRoot(AgentRunInputs inputs)
    {
        if (string.IsNullOrWhiteSpace(inputs.WorkspaceRoot))
        {
            return inputs.ProjectDirectory;
        }
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(inputs.WorkspaceRoot.Trim(), inputs.ProjectDirectory));
        var relative = Path.GetRelativePath(root, inputs.ProjectDirectory);
        return Directory.Exists(root) && !Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? root
            : throw Diagnostics.InvalidValue("AgentWorkspaceRoot", root, "give the project directory or an existing directory above it, such as the repository root");
    }

    private static PresetSpec ParsePreset(AgentRunInputs inputs, string workspaceRoot)
    {
        var kind = ParseChoice(inputs.Preset, "preset", AgentPreset.Run);
        var task = ReadPrompt(inputs, required: kind == AgentPreset.Run);
        var verify = ParseChoice(inputs.Verify, "AgentVerify", DefaultVerify(kind));
        var failOn = ParseChoice(inputs.ReviewFailOn, "AgentReviewFailOn", ReviewFailOn.Error);
        var maxIterations = ParsePositive(inputs.MaxIterations, "AgentMaxIterations", "give a whole number of iterations greater than zero") ?? PresetSpec.DefaultMaxIterations;
        var projectFile = string.IsNullOrWhiteSpace(inputs.ProjectFile) ? ""
            : Path.GetRelativePath(workspaceRoot, Path.GetFullPath(inputs.ProjectFile.Trim(), inputs.ProjectDirectory)).Replace('\\', '/');
        // "$(A);$(B)" with both empty is " ; ": no scope, the whole project.
        var scope = SplitList(inputs.Scope) is { Count: > 0 } entries ? string.Join(";", entries) : null;
        return new PresetSpec(kind, task, scope, verify, maxIterations, failOn, projectFile);
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

    /// <summary>
    /// A ;-separated property value, split here rather than as an MSBuild item, which would take `*` and `?` in
    /// `Bash(git:*)` or `A=x*y` for file patterns and drop them.
    /// </summary>
    public static IReadOnlyList<string> SplitList(string? value) =>
        (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <returns>The prompt text; null when none is given and it is not <paramref name="required"/>.</returns>
    private static string? ReadPrompt(AgentRunInputs inputs, bool required)
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
            return !string.IsNullOrWhiteSpace(text) ? text.Trim() : required ? throw Diagnostics.NoPrompt() : null;
        }
        return hasPrompt ? inputs.Prompt!.Trim() : required ? throw Diagnostics.NoPrompt() : null;
    }

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

    private static string ParseNetwork(string? value)
    {
        var network = string.IsNullOrWhiteSpace(value) ? DefaultNetwork : value.Trim();
        return NetworkName().IsMatch(network)
            ? network
            : throw Diagnostics.InvalidValue("AgentNetwork", network, "use bridge, host, none or the name of an existing Docker network");
    }

    /// <summary>
    /// MSBuild reads the environment as properties: builds the agent runs (SDK 8 and later) put bin and obj under /tmp
    /// in the container instead of into the user's tree, where Linux paths would confuse the host's next build.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> BuildOutputOutsideTheTree = new Dictionary<string, string>
    {
        ["UseArtifactsOutput"] = "true",
        ["ArtifactsPath"] = "/tmp/agentsandbox-artifacts",
    };

    private static ContainerEnvironment BuildEnvironment(
        IAgentProfile agent, IReadOnlyList<string> requested, Func<string, string?> hostEnvironment, HostUser user, List<Warning> warnings)
    {
        var environment = new ContainerEnvironment();
        foreach (var (name, value) in BuildOutputOutsideTheTree)
        {
            environment.Set(name, value, secret: false);
        }
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
        AddRequested(environment, "AgentEnvironmentVariables", requested, hostEnvironment, warnings);
        if (agent.CredentialVariables.Count > 0 && !agent.CredentialVariables.Any(environment.HasValue))
        {
            throw Diagnostics.NoCredential(agent.DisplayName, agent.CredentialVariables);
        }
        return environment;
    }

    /// <summary>
    /// The environment of the builds inside the sandbox (AgentFix, AgentVerify): proxies and what
    /// AgentBuildEnvironmentVariables names, such as a private feed's credentials; never the agent's credentials,
    /// as the code being built is the agent's.
    /// </summary>
    private static ContainerEnvironment BuildToolEnvironment(IReadOnlyList<string> requested, Func<string, string?> hostEnvironment, List<Warning> warnings)
    {
        var environment = new ContainerEnvironment();
        foreach (var (name, value) in ProxyVariables.FromHost(hostEnvironment))
        {
            environment.Set(name, value);
        }
        AddRequested(environment, "AgentBuildEnvironmentVariables", requested, hostEnvironment, warnings);
        return environment;
    }

    /// <summary>NAME passes the build's value, NAME=value sets one; every value counts as a secret.</summary>
    private static void AddRequested(
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
                environment.Set(name, entry[(separator + 1)..]);
            }
            else if (hostEnvironment(name) is { Length: > 0 } hostValue)
            {
                environment.Set(name, hostValue);
            }
            else
            {
                warnings.Add(Diagnostics.HostVariableNotSet(property, name));
            }
        }
    }
}
