using NuGet.Versioning;

namespace AgentSandbox.Agents;

/// <summary>
/// Any other agent: AgentCommand is its argument vector (no shell), AgentInstallCommand installs it into the image.
/// The prompt replaces a {prompt} argument, or is appended when there is none; every output line is reported as it comes.
/// </summary>
internal sealed class CustomCommandProfile : IAgentProfile
{
    public const string PromptPlaceholder = "{prompt}";

    private readonly IReadOnlyList<string> _command;

    /// <param name="command">The agent's command line, executable first (validated non-empty by the caller).</param>
    public CustomCommandProfile(IReadOnlyList<string> command, string? installCommand)
    {
        _command = command;
        InstallCommand = string.IsNullOrWhiteSpace(installCommand) ? null : installCommand.Trim();
    }

    public string Kind => "custom";
    public string DisplayName => $"custom agent '{Executable}'";
    public string? NpmPackage => null;
    public NuGetVersion DefaultVersion { get; } = new(0, 0, 0);
    public string? InstallCommand { get; }
    public string Executable => _command[0];
    public IReadOnlyList<string> CredentialVariables => [];
    public IReadOnlyList<string> OptionalVariables => [];
    public IReadOnlyDictionary<string, string> SandboxEnvironment { get; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> RootEnvironment { get; } = new Dictionary<string, string>();

    public string Describe(NuGetVersion version) => DisplayName;

    /// <summary>Plain text, line by line: the exit code is the result.</summary>
    public bool PrintsResultEvent(NuGetVersion version) => false;

    /// <summary>Only AgentExtraArgs: model, turns and budget are whatever the command's own arguments say.</summary>
    public bool Supports(AgentSetting setting, NuGetVersion version) => setting == AgentSetting.ExtraArguments;

    public IReadOnlyList<string> BuildCommand(AgentInvocation invocation)
    {
        var hasPlaceholder = _command.Any(argument => argument.Contains(PromptPlaceholder, StringComparison.Ordinal));
        var command = _command.Select(argument => argument.Replace(PromptPlaceholder, invocation.Prompt, StringComparison.Ordinal)).ToList();
        command.AddRange(invocation.ExtraArguments ?? []);
        if (!hasPlaceholder)
        {
            command.Add(invocation.Prompt);
        }
        return command;
    }

    public IAgentOutputParser CreateParser(NuGetVersion version) => new LineParser();

    /// <summary>Plain text: each line is something the agent said; the last one counts as its final text.</summary>
    private sealed class LineParser : IAgentOutputParser
    {
        public IEnumerable<AgentEvent> ParseLine(string line) =>
            string.IsNullOrWhiteSpace(line) ? [] : [new AgentMessage(line.TrimEnd())];
    }
}
