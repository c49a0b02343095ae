using AgentSandbox.Common;
using System.Globalization;
using System.Text.Json;
using static AgentSandbox.Agents.JsonFields;
using NuGet.Versioning;

namespace AgentSandbox.Agents;

/// <summary>Claude Code (@anthropic-ai/claude-code), driven non-interactively with stream-json output.</summary>
internal sealed class ClaudeCodeProfile : IAgentProfile
{
    /// <summary>The first version that accepts --max-budget-usd (2.0.29 rejects it as an unknown option).</summary>
    internal static readonly NuGetVersion MaxBudgetSince = NuGetVersion.Parse("2.0.30");

    public string Kind => "claude";
    public string DisplayName => "Claude Code";
    public string NpmPackage => "@anthropic-ai/claude-code";
    public NuGetVersion DefaultVersion { get; } = NuGetVersion.Parse("2.1.328");
    public string Executable => "claude";

    // Native releases: the install script copies this platform's binary to bin/claude.exe, and the optional packages
    // that brought it (npm installs the glibc and the musl one alike) hold it again: 373 MB each.
    public string InstallLeftovers => "if [ -f bin/claude.exe ]; then rm -rf node_modules; fi";

    public IReadOnlyList<string> CredentialVariables { get; } = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"];
    public IReadOnlyList<string> OptionalVariables { get; } = ["ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL"];
    public string BaseUrlVariable => "ANTHROPIC_BASE_URL";
    public string DefaultBaseUrl => "https://api.anthropic.com";

    // OAuth and gateway tokens go as a bearer token, API keys in x-api-key.
    public IReadOnlyList<ProxiedCredential> ProxiedCredentials { get; } =
    [
        new("ANTHROPIC_API_KEY", "x-api-key", "{value}"),
        new("ANTHROPIC_AUTH_TOKEN", "Authorization", "Bearer {value}"),
        new("CLAUDE_CODE_OAUTH_TOKEN", "Authorization", "Bearer {value}"),
    ];

    public IReadOnlyDictionary<string, string> SandboxEnvironment { get; } = new Dictionary<string, string>
    {
        ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
        ["DISABLE_AUTOUPDATER"] = "1",
    };

    // Claude Code refuses --dangerously-skip-permissions as root unless it is told it runs in a sandbox, which it does.
    public IReadOnlyDictionary<string, string> RootEnvironment { get; } = new Dictionary<string, string> { ["IS_SANDBOX"] = "1" };

    public bool Supports(AgentSetting setting, NuGetVersion version) => setting switch
    {
        AgentSetting.MaxBudgetUsd => version >= MaxBudgetSince,
        _ => true,
    };

    /// <summary>`claude -p` without a prompt argument reads it from standard input.</summary>
    public bool TakesPromptOnStdin => true;

    /// <summary>The transcripts, by working directory: `--resume &lt;session_id&gt;` continues one.</summary>
    public string SessionFolder => ".claude/projects";

    public IReadOnlyList<string> BuildCommand(AgentInvocation invocation)
    {
        var command = new List<string>
        {
            Executable, "-p",
            "--dangerously-skip-permissions",
            "--output-format", "stream-json",
            "--verbose",
        };
        if (!string.IsNullOrWhiteSpace(invocation.Model))
        {
            command.AddRange(["--model", invocation.Model]);
        }
        if (invocation.MaxTurns is { } maxTurns)
        {
            command.AddRange(["--max-turns", maxTurns.ToString(CultureInfo.InvariantCulture)]);
        }
        if (invocation.MaxBudgetUsd is { } budget)
        {
            command.AddRange(["--max-budget-usd", budget.ToString(CultureInfo.InvariantCulture)]);
        }
        if (invocation.ResumeSession is { } session)
        {
            command.AddRange(["--resume", session]);
        }
        command.AddRange(invocation.ExtraArguments ?? []);
        // After "--", so that a prompt starting with "-" (a Markdown list) is never taken for an option.
        if (!invocation.PromptOnStdin)
        {
            command.AddRange(["--", invocation.Prompt]);
        }
        return command;
    }

    public IAgentOutputParser CreateParser(NuGetVersion version) => new StreamJsonParser();

    /// <summary>
    /// Parses `--output-format stream-json`: one JSON object per line with a "type" of system, assistant, user or result.
    /// Unknown types and fields are ignored; a line that is not JSON is passed on as a notice.
    /// </summary>
    private sealed class StreamJsonParser : JsonLinesParser
    {
        protected override IEnumerable<AgentEvent> ParseEvent(JsonElement root) => String(root, "type") switch
        {
            "assistant" => ParseAssistant(root),
            "system" => ParseSystem(root),
            "result" => [new AgentFinished(ParseResult(root))],
            _ => [],
        };

        private static List<AgentEvent> ParseAssistant(JsonElement root)
        {
            var events = new List<AgentEvent>();
            if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
            {
                return events;
            }
            foreach (var block in content.EnumerateArray())
            {
                switch (String(block, "type"))
                {
                    case "text" when String(block, "text") is { Length: > 0 } text:
                        events.Add(new AgentMessage(text.Trim()));
                        break;
                    case "tool_use":
                        events.Add(new AgentToolCall(DescribeToolCall(String(block, "name") ?? "tool", block.TryGetProperty("input", out var input) ? input : default)));
                        break;
                }
            }
            return events;
        }

        private static List<AgentEvent> ParseSystem(JsonElement root)
        {
            if (String(root, "subtype") == "init" && String(root, "session_id") is { Length: > 0 } session)
            {
                return [new AgentSessionStarted(session)];
            }
            if (String(root, "subtype") != "api_retry")
            {
                return [];
            }
            var status = Number(root, "error_status");
            var events = new List<AgentEvent>
            {
                new AgentNotice($"API request failed ({status?.ToString(CultureInfo.InvariantCulture) ?? String(root, "error") ?? "error"}), " +
                    $"retry {Number(root, "attempt")}/{Number(root, "max_retries")}"),
            };
            if (status is 401 or 403)
            {
                events.Add(new AgentCredentialRejected((int)status));
            }
            return events;
        }

        private static AgentOutcome ParseResult(JsonElement root)
        {
            var errors = new List<string>();
            if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                errors.AddRange(list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }
            root.TryGetProperty("usage", out var usage);
            var subtype = String(root, "subtype");
            return new AgentOutcome(
                // Either says failure: a rejected key ends with subtype "success" but is_error true, and before 2.1.88
                // an exhausted budget ended with subtype "error_max_budget_usd" but is_error false and exit code 0.
                IsError: root.TryGetProperty("is_error", out var isError) && isError.ValueKind == JsonValueKind.True
                    || subtype?.StartsWith("error", StringComparison.Ordinal) == true
                    || (isError.ValueKind != JsonValueKind.False && subtype != "success"),
                Kind: String(root, "terminal_reason") ?? subtype,
                FinalText: String(root, "result"),
                NumTurns: (int?)Number(root, "num_turns"),
                DurationMs: Number(root, "duration_ms"),
                CostUsd: JsonFields.Decimal(root, "total_cost_usd"),
                InputTokens: usage.ValueKind == JsonValueKind.Object ? Number(usage, "input_tokens") : null,
                OutputTokens: usage.ValueKind == JsonValueKind.Object ? Number(usage, "output_tokens") : null,
                Errors: errors,
                PermissionDenials: root.TryGetProperty("permission_denials", out var denials) && denials.ValueKind == JsonValueKind.Array ? denials.GetArrayLength() : 0);
        }

        private static string DescribeToolCall(string name, JsonElement input)
        {
            var detail = name switch
            {
                "Bash" => String(input, "command"),
                "Read" or "Edit" or "MultiEdit" or "Write" => SandboxPaths.WorkspaceRelative(String(input, "file_path")),
                "NotebookEdit" => SandboxPaths.WorkspaceRelative(String(input, "notebook_path")),
                "Glob" or "Grep" => String(input, "pattern"),
                "WebFetch" => String(input, "url"),
                "WebSearch" => String(input, "query"),
                "Task" => String(input, "description"),
                _ => null,
            };
            if (string.IsNullOrWhiteSpace(detail))
            {
                return name;
            }
            detail = JsonFields.OneLine(detail);
            return name == "Bash" ? $"Bash: {detail}" : $"{name} {detail}";
        }
    }
}
