using AgentSandbox.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using static AgentSandbox.Agents.JsonFields;
using NuGet.Versioning;

namespace AgentSandbox.Agents;

/// <summary>
/// Codex (@openai/codex), driven with `codex exec --json`. The model is always reached through a provider of ours
/// (-c model_providers.agentsandbox), because that is the one way to name the key variable in every version:
/// codex exec 0.169 reads CODEX_API_KEY but ignores OPENAI_API_KEY with its built-in provider, and no OPENAI_BASE_URL.
/// </summary>
internal sealed partial class CodexProfile : IAgentProfile
{
    /// <summary>The first version whose --json prints thread/turn/item events; older ones print {"id","msg"} events.</summary>
    internal static readonly NuGetVersion ThreadEventsSince = NuGetVersion.Parse("0.44.0");

    internal const string DefaultBaseUrl = "https://api.openai.com/v1";
    private const string ProviderId = "agentsandbox";

    public string Kind => "codex";
    public string DisplayName => "Codex";
    public string NpmPackage => "@openai/codex";
    public NuGetVersion DefaultVersion { get; } = NuGetVersion.Parse("0.169.0");
    public string Executable => "codex";

    public IReadOnlyList<string> CredentialVariables { get; } = ["OPENAI_API_KEY", "CODEX_API_KEY"];

    // The organization and project go out as headers, like the built-in provider sends them (env_http_headers).
    // OPENAI_BASE_URL is unused inside, but passing it makes its value a masked one: it is on the command line.
    public IReadOnlyList<string> OptionalVariables { get; } = ["OPENAI_ORGANIZATION", "OPENAI_PROJECT", "OPENAI_BASE_URL"];
    public string BaseUrlVariable => "OPENAI_BASE_URL";
    string IAgentProfile.DefaultBaseUrl => DefaultBaseUrl;

    public IReadOnlyList<ProxiedCredential> ProxiedCredentials { get; } =
    [
        new("OPENAI_API_KEY", "Authorization", "Bearer {value}"),
        new("CODEX_API_KEY", "Authorization", "Bearer {value}"),
    ];

    // codex exec checks for no updates (only the TUI does) and has no telemetry switch in the environment.
    public IReadOnlyDictionary<string, string> SandboxEnvironment { get; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> RootEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>Codex has no turn or cost limit on its command line, in any version.</summary>
    public bool Supports(AgentSetting setting, NuGetVersion version) => setting is not (AgentSetting.MaxTurns or AgentSetting.MaxBudgetUsd);

    public bool TakesPromptOnStdin => true;

    /// <summary>The rollouts `codex exec resume &lt;thread id&gt;` finds a thread in; nothing of the config beside them.</summary>
    public string SessionFolder => ".codex/sessions";

    /// <summary>`exec resume` is older (0.39.0 has it), but only thread events name the thread a run can resume.</summary>
    public NuGetVersion ResumesSince => ThreadEventsSince;

    public IReadOnlyList<string> BuildCommand(AgentInvocation invocation)
    {
        // Codex's own sandbox (Landlock, bubblewrap) cannot start in a container, and need not: the container is the boundary.
        var command = new List<string>
        {
            Executable, "exec", "--json",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
        };
        if (!string.IsNullOrWhiteSpace(invocation.Model))
        {
            command.AddRange(["-m", invocation.Model]);
        }
        command.AddRange(["-c", $"model_provider={ProviderId}", "-c", $"model_providers.{ProviderId}={Provider(invocation)}"]);
        command.AddRange(invocation.ExtraArguments ?? []);
        // After "--", so that a prompt starting with "-" (a Markdown list) is never taken for an option. exec's options
        // go before `resume`: every version with `exec resume` takes them there.
        command.AddRange(invocation.ResumeSession is { } thread ? ["resume", "--", thread] : ["--"]);
        // "-": codex exec reads the prompt from standard input.
        command.Add(invocation.PromptOnStdin ? "-" : invocation.Prompt);
        return command;
    }

    /// <summary>The provider as a TOML inline table. env_key names the credential variable that is set (its value stays in the environment).</summary>
    private static string Provider(AgentInvocation invocation) =>
        $"{{name={TomlString(ProviderId)},base_url={TomlString(invocation.BaseUrl ?? DefaultBaseUrl)}," +
        $"env_key={TomlString(invocation.CredentialVariable ?? "OPENAI_API_KEY")},wire_api=\"responses\"," +
        "env_http_headers={\"OpenAI-Organization\"=\"OPENAI_ORGANIZATION\",\"OpenAI-Project\"=\"OPENAI_PROJECT\"}}";

    /// <summary>A TOML basic string: quotes, backslashes and control characters escaped.</summary>
    internal static string TomlString(string value)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in value)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => c.ToString(),
            });
        }
        return builder.Append('"').ToString();
    }

    public IAgentOutputParser CreateParser(NuGetVersion version) =>
        version >= ThreadEventsSince ? new ThreadEventsParser() : new LegacyEventsParser();

    /// <summary>
    /// What both output formats share: one JSON object per line, an account of the run that grows as it goes
    /// (codex prints no final event of its own, so each turn's end reports the outcome so far; the last one counts).
    /// </summary>
    private abstract class CodexParser : JsonLinesParser
    {
        private readonly List<string> _errors = [];
        private int _turns;
        private long? _inputTokens;
        private long? _outputTokens;
        private string? _finalText;
        private bool _failed;
        private bool _rejected;

        protected void CountTurn() => _turns++;

        /// <summary>Input tokens include the cached ones (a subset in OpenAI's usage), as the API bills them.</summary>
        protected void AddUsage(long? input, long? output)
        {
            _inputTokens = input is null ? _inputTokens : (_inputTokens ?? 0) + input;
            _outputTokens = output is null ? _outputTokens : (_outputTokens ?? 0) + output;
        }

        protected void SetUsage(long? input, long? output) => (_inputTokens, _outputTokens) = (input ?? _inputTokens, output ?? _outputTokens);

        protected IEnumerable<AgentEvent> Message(string? text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return [];
            }
            _finalText = text.Trim();
            return [new AgentMessage(_finalText)];
        }

        /// <summary>A retry or failure the CLI reports; a refused key (HTTP 401/403) is reported once, so the run stops there.</summary>
        protected IEnumerable<AgentEvent> Problem(string? message)
        {
            if (string.IsNullOrWhiteSpace(message))
            {
                return [];
            }
            var events = new List<AgentEvent> { new AgentNotice(message.Trim()) };
            if (!_rejected && RejectedStatus().Match(message) is { Success: true } match)
            {
                _rejected = true;
                events.Add(new AgentCredentialRejected(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)));
            }
            return events;
        }

        /// <summary>Once one turn failed, the run did.</summary>
        protected AgentFinished Failed(string? error)
        {
            _failed = true;
            if (!string.IsNullOrWhiteSpace(error))
            {
                _errors.Add(error.Trim());
            }
            return Finished();
        }

        protected AgentFinished Finished() => new(new AgentOutcome(
            IsError: _failed,
            Kind: _failed ? "failed" : "completed",
            FinalText: _finalText,
            NumTurns: _turns,
            DurationMs: null,
            CostUsd: null,
            InputTokens: _inputTokens,
            OutputTokens: _outputTokens,
            Errors: _errors.ToArray(),
            PermissionDenials: 0));

    }

    /// <summary>
    /// --json from 0.44.0 on: thread.started, turn.started/completed/failed, item.started/updated/completed, error.
    /// A tool call is reported once, when its item first appears.
    /// </summary>
    private sealed class ThreadEventsParser : CodexParser
    {
        private readonly HashSet<string> _reportedItems = new(StringComparer.Ordinal);

        protected override IEnumerable<AgentEvent> ParseEvent(JsonElement root)
        {
            switch (String(root, "type"))
            {
                case "thread.started" when String(root, "thread_id") is { Length: > 0 } thread:
                    return [new AgentSessionStarted(thread)];
                case "item.started" or "item.updated" or "item.completed" when Object(root, "item") is { ValueKind: JsonValueKind.Object } item:
                    return ParseItem(item, completed: String(root, "type") == "item.completed");
                case "error":
                    return Problem(String(root, "message"));
                case "turn.completed":
                    CountTurn();
                    var usage = Object(root, "usage");
                    AddUsage(Number(usage, "input_tokens"), Number(usage, "output_tokens"));
                    return [Finished()];
                case "turn.failed":
                    CountTurn();
                    return [Failed(String(Object(root, "error"), "message"))];
                default:
                    return [];
            }
        }

        private IEnumerable<AgentEvent> ParseItem(JsonElement item, bool completed)
        {
            switch (String(item, "type"))
            {
                case "agent_message" when completed:
                    return Message(String(item, "text"));
                case "error" when completed:
                    // Warnings of the CLI's own, such as unknown model metadata.
                    return Problem(String(item, "message"));
                case "command_execution" or "file_change" or "mcp_tool_call" or "web_search":
                    var id = String(item, "id") ?? item.GetRawText();
                    return _reportedItems.Add(id) ? DescribeToolItem(item).Select(d => new AgentToolCall(d)) : [];
                default:
                    return [];
            }
        }

        private static IEnumerable<string> DescribeToolItem(JsonElement item) => String(item, "type") switch
        {
            "command_execution" => [Bash(String(item, "command"))],
            "file_change" => Array(item, "changes").Select(change => String(change, "path")).OfType<string>()
                .Select(path => $"Edit {SandboxPaths.WorkspaceRelative(path)}").DefaultIfEmpty("Edit"),
            "mcp_tool_call" => [Mcp(String(item, "server"), String(item, "tool"))],
            _ => [WebSearch(String(item, "query"))],
        };
    }

    /// <summary>
    /// --json before 0.44.0: a config summary and the prompt, then {"id","msg":{"type",…}} events. It prints no
    /// task_complete, and exits 0 after an error, so the error event itself fails the run.
    /// </summary>
    private sealed class LegacyEventsParser : CodexParser
    {
        protected override IEnumerable<AgentEvent> ParseEvent(JsonElement root)
        {
            var message = Object(root, "msg");
            switch (String(message, "type"))
            {
                case "agent_message":
                    return [.. Message(String(message, "message")), Finished()];
                case "exec_command_begin":
                    return [new AgentToolCall(Bash(LegacyCommand(message)))];
                case "patch_apply_begin":
                    var changes = Object(message, "changes");
                    return changes.ValueKind == JsonValueKind.Object
                        ? changes.EnumerateObject().Select(change => new AgentToolCall($"Edit {SandboxPaths.WorkspaceRelative(change.Name)}")).ToList()
                        : [new AgentToolCall("Edit")];
                case "mcp_tool_call_begin":
                    var call = Object(message, "invocation");
                    return [new AgentToolCall(Mcp(String(call, "server"), String(call, "tool")))];
                case "task_started":
                    CountTurn();
                    return [];
                case "token_count":
                    CountTokens(message);
                    return [Finished()];
                case "stream_error":
                    return Problem(String(message, "message"));
                case "error":
                    return [.. Problem(String(message, "message")), Failed(String(message, "message"))];
                default:
                    return [];
            }
        }

        /// <summary>From 0.34 a cumulative info.total_token_usage (info may be null); before, flat per-request counts.</summary>
        private void CountTokens(JsonElement message)
        {
            if (message.TryGetProperty("info", out var info))
            {
                var total = Object(info, "total_token_usage");
                SetUsage(Number(total, "input_tokens"), Number(total, "output_tokens"));
            }
            else
            {
                AddUsage(Number(message, "input_tokens"), Number(message, "output_tokens"));
            }
        }

        private static string? LegacyCommand(JsonElement message)
        {
            var words = Array(message, "command").Where(w => w.ValueKind == JsonValueKind.String).Select(w => w.GetString()!).ToList();
            return words is [var shell, "-lc" or "-c", var script] && IsShell(shell) ? script : words.Count > 0 ? string.Join(" ", words) : null;
        }
    }

    private static string Bash(string? command) =>
        string.IsNullOrWhiteSpace(command) ? "Bash" : $"Bash: {OneLine(UnwrapShell(command))}";

    private static string Mcp(string? server, string? tool) =>
        tool is null ? "MCP" : server is null ? $"MCP {tool}" : $"MCP {server}/{tool}";

    private static string WebSearch(string? query) => string.IsNullOrWhiteSpace(query) ? "WebSearch" : $"WebSearch {OneLine(query)}";

    private static bool IsShell(string executable) => ShellExecutable().IsMatch(executable);

    /// <summary>
    /// `/bin/bash -lc "sed -i 's/a"'!'"/b/' x"` → `sed -i 's/a!/b/' x`: the script codex wrapped in a login shell, when
    /// the rest is exactly one shell word; otherwise the command as printed.
    /// </summary>
    internal static string UnwrapShell(string command)
    {
        var match = ShellPrefix().Match(command);
        return match.Success && IsShell(match.Groups[1].Value) && ShellWord(command[match.Length..]) is { } script ? script : command;
    }

    /// <summary>One POSIX shell word (quotes and backslashes removed), or null when the text is not exactly one word.</summary>
    private static string? ShellWord(string text)
    {
        var word = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\'')
            {
                var end = text.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    return null;
                }
                word.Append(text, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    // Inside double quotes a backslash escapes only these; elsewhere it stays.
                    if (text[i] == '\\' && i + 1 < text.Length && "\"\\$`".Contains(text[i + 1]))
                    {
                        i++;
                    }
                    word.Append(text[i]);
                }
                if (i >= text.Length)
                {
                    return null;
                }
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                word.Append(text[++i]);
            }
            else if (char.IsWhiteSpace(c) || c == '\\')
            {
                return null;
            }
            else
            {
                word.Append(c);
            }
        }
        return word.Length > 0 ? word.ToString() : null;
    }

    // "unexpected status 401 Unauthorized: …" (0.44 on), "exceeded retry limit, last status: 401 Unauthorized" (before).
    [GeneratedRegex(@"\bstatus:? (40[13])\b", RegexOptions.CultureInvariant)]
    private static partial Regex RejectedStatus();

    [GeneratedRegex(@"^(\S+) -l?c ", RegexOptions.CultureInvariant)]
    private static partial Regex ShellPrefix();

    [GeneratedRegex(@"^(/(usr/)?bin/)?(ba|z|da)?sh$", RegexOptions.CultureInvariant)]
    private static partial Regex ShellExecutable();
}
