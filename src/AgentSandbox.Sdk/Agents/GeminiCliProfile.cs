using AgentSandbox.Common;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NuGet.Versioning;
using static AgentSandbox.Agents.JsonFields;

namespace AgentSandbox.Agents;

/// <summary>
/// Gemini CLI (@google/gemini-cli), driven headless with -p. The output format depends on the version:
/// stream-json from 0.11.3, one JSON document from 0.6.1, plain text before.
/// </summary>
internal sealed partial class GeminiCliProfile : IAgentProfile
{
    // Each boundary is the first published version seen to have the feature (the one before it lacks it).
    internal static readonly NuGetVersion ApprovalModeSince = NuGetVersion.Parse("0.1.20");
    internal static readonly NuGetVersion NestedSettingsSince = NuGetVersion.Parse("0.3.0");
    internal static readonly NuGetVersion JsonSince = NuGetVersion.Parse("0.6.1");
    internal static readonly NuGetVersion StreamJsonSince = NuGetVersion.Parse("0.11.3");
    // Absent in 0.12.0; GEMINI_CLI_TRUST_WORKSPACE below trusts the folder in the versions between.
    internal static readonly NuGetVersion SkipTrustSince = NuGetVersion.Parse("0.61.0");
    /// <summary>The oldest version checked to take a session's id after --resume (0.15.4; "latest" and indexes came first).</summary>
    internal static readonly NuGetVersion ResumeByIdSince = NuGetVersion.Parse("0.15.4");

    /// <summary>Before 0.6.1 the output is text: no result event to miss.</summary>
    public bool PrintsResultEvent(NuGetVersion version) => version >= JsonSince;

    /// <summary>
    /// Gemini CLI's system settings file. It takes precedence over the user's and the project's settings, the agent
    /// (not root) cannot change it, and it does not depend on which user or HOME the container has.
    /// </summary>
    public const string SystemSettingsPath = "/etc/gemini-cli/settings.json";

    public string Kind => "gemini";
    public string DisplayName => "Gemini CLI";
    public string NpmPackage => "@google/gemini-cli";
    public NuGetVersion DefaultVersion { get; } = NuGetVersion.Parse("0.61.0");
    public string Executable => "gemini";

    // package.json engines of every version checked (0.2.2 to 0.61.0); Debian 12 and Ubuntu 24.04 ship Node.js 18.
    public int? MinimumNodeMajor => 20;

    // GOOGLE_API_KEY is read only for Vertex AI (with GOOGLE_GENAI_USE_VERTEXAI); the settings file below selects the
    // Gemini API key, under which GOOGLE_API_KEY alone fails with exit code 41. So it is neither required nor passed.
    public IReadOnlyList<string> CredentialVariables { get; } = ["GEMINI_API_KEY"];
    public IReadOnlyList<string> OptionalVariables { get; } = ["GOOGLE_GEMINI_BASE_URL", "GEMINI_MODEL"];
    public string BaseUrlVariable => "GOOGLE_GEMINI_BASE_URL";
    public string DefaultBaseUrl => "https://generativelanguage.googleapis.com";

    public IReadOnlyList<ProxiedCredential> ProxiedCredentials { get; } = [new("GEMINI_API_KEY", "x-goog-api-key", "{value}")];

    public IReadOnlyDictionary<string, string> SandboxEnvironment { get; } = new Dictionary<string, string>
    {
        // The container is the sandbox; "true" would look for docker or podman inside it.
        ["GEMINI_SANDBOX"] = "false",
        // Headless runs in an untrusted folder exit with 55, and yolo is downgraded to asking.
        ["GEMINI_CLI_TRUST_WORKSPACE"] = "true",
        ["GEMINI_TELEMETRY_ENABLED"] = "false",
    };

    public IReadOnlyDictionary<string, string> RootEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>
    /// No secret: the key stays in GEMINI_API_KEY. Selecting the key auth type is needed from 0.61.0 when
    /// GOOGLE_GEMINI_BASE_URL is set (else it picks "gateway" and exits with 41); usage statistics would reach
    /// play.googleapis.com. Neither has an environment variable, hence a file; 0.2.x reads the flat form.
    /// </summary>
    public IReadOnlyDictionary<string, string> ImageFiles(NuGetVersion version) => new Dictionary<string, string>
    {
        [SystemSettingsPath] = version >= NestedSettingsSince
            ? """{"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false}}"""
            : """{"selectedAuthType":"gemini-api-key","usageStatisticsEnabled":false}""",
    };

    /// <summary>
    /// The per-project folders with the chats that --resume finds: a folder whose .project_root names /workspace is
    /// found again by a later container. Settings live elsewhere (the system file above, ~/.gemini/settings.json).
    /// </summary>
    public string SessionFolder => ".gemini/tmp";

    public NuGetVersion ResumesSince => ResumeByIdSince;

    /// <summary>Turn limits exist only as the model.maxSessionTurns setting, not per run; there is no budget.</summary>
    public bool Supports(AgentSetting setting, NuGetVersion version) => setting is not (AgentSetting.MaxTurns or AgentSetting.MaxBudgetUsd);

    public IReadOnlyList<string> BuildCommand(AgentInvocation invocation)
    {
        var version = invocation.Version;
        // "--prompt=" keeps a prompt starting with "-" one value; a positional prompt would start interactive mode.
        var command = new List<string> { Executable, $"--prompt={invocation.Prompt}" };
        if (version >= JsonSince)
        {
            command.AddRange(["--output-format", version >= StreamJsonSince ? "stream-json" : "json"]);
        }
        command.AddRange(version >= ApprovalModeSince ? ["--approval-mode", "yolo"] : ["--yolo"]);
        if (version >= SkipTrustSince)
        {
            command.Add("--skip-trust");
        }
        if (!string.IsNullOrWhiteSpace(invocation.Model))
        {
            command.AddRange(["-m", invocation.Model]);
        }
        if (invocation.ResumeSession is { } session)
        {
            command.Add($"--resume={session}");
        }
        command.AddRange(invocation.ExtraArguments ?? []);
        return command;
    }

    public IAgentOutputParser CreateParser(NuGetVersion version) =>
        version >= StreamJsonSince ? new StreamJsonParser()
        : version >= JsonSince ? new JsonDocumentParser()
        : new TextParser();

    /// <summary>The CLI's own exit codes (FatalError subclasses); API errors exit with the HTTP status modulo 256.</summary>
    public string? ExplainExitCode(long exitCode) => exitCode switch
    {
        41 => "authentication failed: check GEMINI_API_KEY",
        42 => "the input was invalid",
        44 => "the CLI's own sandbox could not start",
        52 => "the settings are invalid",
        53 => "the turn limit (model.maxSessionTurns) was reached",
        54 => "a tool failed fatally",
        55 => "the folder is not trusted",
        145 => "the API rejected the key (HTTP 401)",
        147 => "the API refused access (HTTP 403)",
        173 => "the API's rate limit or quota is exhausted (HTTP 429)",
        _ => null,
    };

    [GeneratedRegex(@"""code""\s*:\s*(40[13])\b", RegexOptions.CultureInvariant)]
    private static partial Regex RejectedStatus();

    /// <summary>The 401 or 403 an API error message quotes (the API's error body is echoed into it).</summary>
    private static IEnumerable<AgentEvent> Rejection(string? message) =>
        message is not null && RejectedStatus().Match(message) is { Success: true } match ? [new AgentCredentialRejected(int.Parse(match.Groups[1].Value))] : [];

    private static string DescribeToolCall(string name, JsonElement parameters)
    {
        var detail = name switch
        {
            "run_shell_command" => String(parameters, "command"),
            "read_file" or "write_file" or "replace" => SandboxPaths.WorkspaceRelative(String(parameters, "file_path") ?? String(parameters, "absolute_path")),
            "list_directory" => SandboxPaths.WorkspaceRelative(String(parameters, "dir_path") ?? String(parameters, "path")),
            "glob" or "grep_search" or "search_file_content" => String(parameters, "pattern"),
            "web_fetch" => String(parameters, "prompt"),
            "google_web_search" => String(parameters, "query"),
            _ => null,
        };
        if (string.IsNullOrWhiteSpace(detail))
        {
            return name;
        }
        detail = OneLine(detail);
        return name == "run_shell_command" ? $"Bash: {detail}" : $"{ToolVerb(name)} {detail}";
    }

    // In the words the other agents' logs use, so a log reads the same whichever agent ran.
    private static string ToolVerb(string name) => name switch
    {
        "read_file" => "Read",
        "write_file" => "Write",
        "replace" => "Edit",
        _ => name,
    };

    /// <summary>
    /// `--output-format stream-json`: one event per line (init, message, tool_use, tool_result, error, result).
    /// An assistant message arrives in delta pieces; it is reported whole when the next other event arrives.
    /// </summary>
    private sealed class StreamJsonParser : JsonLinesParser
    {
        private readonly StringBuilder _message = new();
        private readonly Dictionary<string, string> _toolNames = new(StringComparer.Ordinal);
        private string? _lastMessage;
        private bool _modelAnswered;

        // Blank lines, non-JSON lines and non-objects are handled by the base and leave a pending message pending.
        protected override IEnumerable<AgentEvent> ParseEvent(JsonElement root)
        {
            var type = String(root, "type");
            if (type == "message" && String(root, "role") == "assistant")
            {
                _modelAnswered = true;
                _message.Append(String(root, "content"));
                // Without "delta" the event is a whole message.
                return root.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.True ? [] : Flush();
            }
            if (type == "init" && String(root, "session_id") is { Length: > 0 } session)
            {
                return [new AgentSessionStarted(session)];
            }
            if (type is null or "init" or "message")
            {
                return [];
            }
            var events = Flush();
            switch (type)
            {
                case "tool_use":
                    _modelAnswered = true;
                    var name = String(root, "tool_name") ?? "tool";
                    if (String(root, "tool_id") is { } id)
                    {
                        _toolNames[id] = name;
                    }
                    events.Add(new AgentToolCall(DescribeToolCall(name, Object(root, "parameters"))));
                    break;
                case "tool_result" when String(root, "status") == "error":
                    var tool = String(root, "tool_id") is { } toolId && _toolNames.TryGetValue(toolId, out var known) ? known : "tool";
                    var reason = String(Object(root, "error"), "message") ?? String(root, "output") ?? "no reason given";
                    events.Add(new AgentNotice($"{tool} failed: {OneLine(reason)}"));
                    break;
                case "error":
                    var message = String(root, "message") ?? "unknown error";
                    events.Add(new AgentNotice($"{String(root, "severity") ?? "error"}: {OneLine(message)}"));
                    events.AddRange(Rejection(message));
                    break;
                case "result":
                    var error = String(Object(root, "error"), "message");
                    events.AddRange(Rejection(error));
                    events.Add(new AgentFinished(ParseResult(root, error)));
                    break;
            }
            return events;
        }

        private List<AgentEvent> Flush()
        {
            var text = _message.ToString().Trim();
            _message.Clear();
            if (text.Length == 0)
            {
                return [];
            }
            _lastMessage = text;
            return [new AgentMessage(text)];
        }

        private AgentOutcome ParseResult(JsonElement root, string? error)
        {
            var stats = Object(root, "stats");
            var errors = new List<string>();
            if (error is not null)
            {
                errors.Add(error);
            }
            var status = String(root, "status");
            var isError = status != "success";
            // 0.11.x reports a failed API call (even a rejected key) as success with no tokens; the cause is on stderr only.
            if (!isError && !_modelAnswered && Number(stats, "total_tokens") is null or 0)
            {
                isError = true;
                errors.Add("the CLI reported success, but the model never answered (0 tokens): the API call failed; its standard error has the cause");
            }
            return new AgentOutcome(
                IsError: isError,
                Kind: String(Object(root, "error"), "type") ?? status,
                FinalText: _lastMessage,
                NumTurns: null,
                // 0 on error paths, where it means "not measured".
                DurationMs: Number(stats, "duration_ms") is > 0 and var duration ? duration : null,
                CostUsd: null,
                InputTokens: Number(stats, "input_tokens"),
                OutputTokens: Number(stats, "output_tokens"),
                Errors: errors,
                PermissionDenials: 0);
        }
    }

    /// <summary>
    /// `--output-format json`: one pretty-printed document at the end, which arrives here line by line. Lines are
    /// collected from an opening "{" until the top-level "}" (the only unindented one) and parsed together.
    /// </summary>
    private sealed class JsonDocumentParser : IAgentOutputParser
    {
        private readonly StringBuilder _document = new();

        public IEnumerable<AgentEvent> ParseLine(string line)
        {
            if (_document.Length == 0)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    return [];
                }
                if (!line.TrimStart().StartsWith('{'))
                {
                    return [new AgentNotice(line.Trim())];
                }
            }
            _document.Append(line).Append('\n');
            var complete = line.StartsWith('}') || (line.TrimStart().StartsWith('{') && line.TrimEnd().EndsWith('}'));
            if (!complete)
            {
                return [];
            }
            var text = _document.ToString();
            using var document = Parse(text);
            if (document is null && !line.StartsWith('}'))
            {
                // A one-line "{...}" that is not the whole document: keep collecting.
                return [];
            }
            _document.Clear();
            return document is null ? [new AgentNotice(OneLine(text))] : ParseDocument(document.RootElement);
        }

        private static List<AgentEvent> ParseDocument(JsonElement root)
        {
            var events = new List<AgentEvent>();
            if (root.ValueKind != JsonValueKind.Object)
            {
                return events;
            }
            var response = String(root, "response")?.Trim();
            if (!string.IsNullOrEmpty(response))
            {
                events.Add(new AgentMessage(response));
            }
            var error = String(Object(root, "error"), "message");
            events.AddRange(Rejection(error));
            // Tokens are per model; "prompt" and "candidates" are what the other formats call input and output.
            var models = Object(Object(root, "stats"), "models");
            var tokens = models.ValueKind == JsonValueKind.Object
                ? models.EnumerateObject().Select(model => Object(model.Value, "tokens")).ToList()
                : [];
            long? Sum(string name) => tokens.Count > 0 && tokens.All(t => Number(t, name) is not null) ? tokens.Sum(t => Number(t, name)!.Value) : null;
            events.Add(new AgentFinished(new AgentOutcome(
                IsError: error is not null || root.TryGetProperty("error", out _) || response is null,
                Kind: String(Object(root, "error"), "type"),
                FinalText: string.IsNullOrEmpty(response) ? null : response,
                NumTurns: null,
                DurationMs: null,
                CostUsd: null,
                InputTokens: Sum("prompt"),
                OutputTokens: Sum("candidates"),
                Errors: error is null ? [] : [error],
                PermissionDenials: 0)));
            return events;
        }
    }

    /// <summary>Before 0.6.1 there is only the model's text; the run's outcome is its exit code.</summary>
    private sealed class TextParser : IAgentOutputParser
    {
        public IEnumerable<AgentEvent> ParseLine(string line) =>
            string.IsNullOrWhiteSpace(line) ? [] : [new AgentMessage(line.Trim())];
    }
}
