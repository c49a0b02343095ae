using AgentSandbox.Agents;
using NuGet.Versioning;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The codex exec --json parsers (0.44.0 on, and the legacy format before), on real recordings and on damaged input.</summary>
public sealed class CodexJsonParserTests
{
    private const string Current = "0.169.0";
    private const string Legacy = "0.40.0";

    private static List<AgentEvent> ParseRecording(string name, string version)
    {
        var parser = new CodexProfile().CreateParser(NuGetVersion.Parse(version));
        return File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Recordings", name)).SelectMany(parser.ParseLine).ToList();
    }

    private static List<AgentEvent> ParseAs(string version, params string[] lines)
    {
        var parser = new CodexProfile().CreateParser(NuGetVersion.Parse(version));
        return lines.SelectMany(line => parser.ParseLine(line).ToList()).ToList();
    }

    private static List<AgentEvent> Parse(params string[] lines) => ParseAs(Current, lines);

    /// <summary>The outcome the run ends with: the last one reported.</summary>
    private static AgentOutcome LastOutcome(IEnumerable<AgentEvent> events) => events.OfType<AgentFinished>().Last().Outcome;

    private static string ItemLine(string eventType, string itemJson) => $$"""{"type":"{{eventType}}","item":{{itemJson}}}""";

    [Fact]
    public void Edit_recording_reports_the_command_once_the_message_and_the_outcome_in_order()
    {
        var events = ParseRecording("codex-0.169.0-edit.jsonl", Current);

        Assert.Collection(events,
            e => Assert.Equal(new AgentSessionStarted("01a21b6f-9545-7880-bbf1-462d25b43904"), e),
            e => Assert.Equal(new AgentToolCall("Bash: sed -i 's/Hello, World!/Hello, Agent!/' Program.cs && echo edited"), e),
            e => Assert.Equal(new AgentMessage("AGENT-SUMMARY: greeting changed by the scripted model"), e),
            e => Assert.IsType<AgentFinished>(e));
    }

    [Fact]
    public void Edit_recording_outcome_has_turns_tokens_and_the_final_text()
    {
        var outcome = LastOutcome(ParseRecording("codex-0.169.0-edit.jsonl", Current));

        Assert.False(outcome.IsError);
        Assert.Equal("completed", outcome.Kind);
        Assert.Equal("AGENT-SUMMARY: greeting changed by the scripted model", outcome.FinalText);
        Assert.Equal(1, outcome.NumTurns);
        Assert.Equal(20, outcome.InputTokens);
        Assert.Equal(10, outcome.OutputTokens);
        Assert.Null(outcome.CostUsd);
        Assert.Null(outcome.DurationMs);
        Assert.Empty(outcome.Errors);
        Assert.Equal(0, outcome.PermissionDenials);
    }

    [Fact]
    public void Rejected_key_recording_is_recognised_at_the_first_retry_and_only_once()
    {
        var events = ParseRecording("codex-0.169.0-401.jsonl", Current);

        Assert.Equal(6, events.OfType<AgentNotice>().Count());
        Assert.Equal(new AgentCredentialRejected(401), Assert.Single(events.OfType<AgentCredentialRejected>()));
        var first = events.FindIndex(e => e is AgentCredentialRejected);
        Assert.StartsWith("Reconnecting... 1/5 (unexpected status 401 Unauthorized", Assert.IsType<AgentNotice>(events[first - 1]).Text);
        Assert.Empty(ParseRecording("codex-0.169.0-edit.jsonl", Current).OfType<AgentCredentialRejected>());
    }

    [Fact]
    public void Rejected_key_recording_ends_in_a_failed_turn_with_the_error()
    {
        var events = ParseRecording("codex-0.169.0-401.jsonl", Current);

        Assert.Empty(events.OfType<AgentToolCall>());
        var outcome = Assert.IsType<AgentFinished>(events[^1]).Outcome;
        Assert.True(outcome.IsError);
        Assert.Equal("failed", outcome.Kind);
        Assert.Equal(1, outcome.NumTurns);
        Assert.Equal(["unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:18097/v1/responses"], outcome.Errors);
        Assert.Null(outcome.InputTokens);
        Assert.Null(outcome.FinalText);
    }

    [Fact]
    public void Outcome_sums_the_usage_of_every_turn_and_counts_them()
    {
        var events = Parse(
            """{"type":"turn.started"}""",
            ItemLine("item.completed", """{"id":"item_0","type":"agent_message","text":"first"}"""),
            """{"type":"turn.completed","usage":{"input_tokens":20,"cached_input_tokens":15,"output_tokens":10}}""",
            """{"type":"turn.started"}""",
            ItemLine("item.completed", """{"id":"item_1","type":"agent_message","text":"second"}"""),
            """{"type":"turn.completed","usage":{"input_tokens":5,"output_tokens":1}}""");

        var outcome = LastOutcome(events);
        Assert.Equal(2, outcome.NumTurns);
        Assert.Equal(25, outcome.InputTokens);
        Assert.Equal(11, outcome.OutputTokens);
        Assert.Equal("second", outcome.FinalText);
        Assert.False(outcome.IsError);
    }

    [Fact]
    public void A_failed_turn_fails_the_run_even_when_a_later_turn_completes()
    {
        var outcome = LastOutcome(Parse(
            """{"type":"turn.failed","error":{"message":"stream disconnected"}}""",
            """{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":1}}"""));

        Assert.True(outcome.IsError);
        Assert.Equal(["stream disconnected"], outcome.Errors);
        Assert.Equal(2, outcome.NumTurns);
    }

    [Fact]
    public void Command_is_reported_once_whether_its_item_starts_updates_or_only_completes()
    {
        const string Item = """{"id":"item_3","type":"command_execution","command":"bash -lc 'dotnet test'","status":"in_progress"}""";
        Assert.Equal([new AgentToolCall("Bash: dotnet test")], Parse(ItemLine("item.started", Item), ItemLine("item.updated", Item), ItemLine("item.completed", Item)));
        Assert.Equal([new AgentToolCall("Bash: dotnet test")], Parse(ItemLine("item.completed", Item)));
    }

    [Fact]
    public void File_change_is_one_edit_per_path_relative_to_the_workspace()
    {
        var events = Parse(ItemLine("item.completed",
            """{"id":"item_4","type":"file_change","changes":[{"path":"/workspace/src/Program.cs","kind":"update"},{"path":"/tmp/x.txt","kind":"add"},{"kind":"delete"}],"status":"completed"}"""));

        Assert.Equal<AgentEvent>([new AgentToolCall("Edit src/Program.cs"), new AgentToolCall("Edit /tmp/x.txt")], events);
    }

    [Theory]
    [InlineData("""{"id":"i","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{}}""", "MCP docs/search")]
    [InlineData("""{"id":"i","type":"mcp_tool_call","tool":"search"}""", "MCP search")]
    [InlineData("""{"id":"i","type":"mcp_tool_call"}""", "MCP")]
    [InlineData("""{"id":"i","type":"web_search","query":"xunit theory"}""", "WebSearch xunit theory")]
    [InlineData("""{"id":"i","type":"web_search"}""", "WebSearch")]
    [InlineData("""{"id":"i","type":"command_execution","command":42}""", "Bash")]
    [InlineData("""{"id":"i","type":"file_change","changes":"lots"}""", "Edit")]
    public void Other_tool_items_are_described_the_way_a_person_would(string item, string expected)
    {
        Assert.Equal([new AgentToolCall(expected)], Parse(ItemLine("item.started", item)));
    }

    [Theory]
    [InlineData("""{"id":"r","type":"reasoning","text":"thinking"}""")]
    [InlineData("""{"id":"t","type":"todo_list","items":[]}""")]
    [InlineData("""{"id":"m","type":"agent_message","text":""}""")]
    [InlineData("""{"id":"m","type":"agent_message"}""")]
    [InlineData("""{"type":"some_future_item"}""")]
    public void Reasoning_empty_and_unknown_items_give_nothing(string item)
    {
        Assert.Empty(Parse(ItemLine("item.completed", item)));
    }

    [Fact]
    public void Agent_message_counts_only_when_completed()
    {
        Assert.Empty(Parse(ItemLine("item.started", """{"id":"m","type":"agent_message","text":"partial"}""")));
    }

    [Fact]
    public void Error_item_is_a_notice()
    {
        var events = Parse(ItemLine("item.completed", """{"id":"item_0","type":"error","message":"Model metadata for `x` not found."}"""));

        Assert.Equal([new AgentNotice("Model metadata for `x` not found.")], events);
    }

    [Theory]
    [InlineData("unexpected status 403 Forbidden: nope", 403)]
    [InlineData("Reconnecting... 1/5 (unexpected status 401 Unauthorized: Incorrect API key provided)", 401)]
    public void Forbidden_or_unauthorized_error_is_a_rejected_credential(string message, int status)
    {
        var events = Parse($$"""{"type":"error","message":"{{message}}"}""");

        Assert.Equal<AgentEvent>([new AgentNotice(message), new AgentCredentialRejected(status)], events);
    }

    [Theory]
    [InlineData("unexpected status 429 Too Many Requests")]
    [InlineData("unexpected status 4010")]
    [InlineData("processed 401 files")]
    public void Other_errors_are_only_notices(string message)
    {
        Assert.Equal([new AgentNotice(message)], Parse($$"""{"type":"error","message":"{{message}}"}"""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Blank_line_gives_nothing(string line)
    {
        Assert.Empty(Parse(line));
        Assert.Empty(ParseAs(Legacy, line));
    }

    [Theory]
    [InlineData("""{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"hal""")]
    [InlineData("""{"type":"turn.completed","usage":{"input_tokens":20,""")]
    [InlineData("{")]
    [InlineData("""{"id":"0","msg":{"type":"agent_message","message":"hi"}""")]
    public void Truncated_json_gives_at_most_a_notice(string line)
    {
        foreach (var events in new[] { Parse(line), ParseAs(Legacy, line) })
        {
            Assert.All(events, e => Assert.IsType<AgentNotice>(e));
            Assert.True(events.Count <= 1);
        }
    }

    [Theory]
    [InlineData("Reading additional input from stdin...")]
    [InlineData("The existing `--json` output format is being deprecated.")]
    public void Plain_text_line_becomes_a_notice_with_its_text(string line)
    {
        Assert.Equal([new AgentNotice(line)], Parse(line));
        Assert.Equal([new AgentNotice(line)], ParseAs(Legacy, line));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"type":"turn.completed"}]""")]
    [InlineData("42")]
    [InlineData("\"turn.completed\"")]
    [InlineData("null")]
    [InlineData("true")]
    public void Json_that_is_not_an_object_gives_nothing(string line)
    {
        Assert.Empty(Parse(line));
        Assert.Empty(ParseAs(Legacy, line));
    }

    [Theory]
    [InlineData("""{"type":"turn.started"}""")]
    [InlineData("""{"type":"item.completed"}""")]
    [InlineData("""{"type":"item.completed","item":"text"}""")]
    [InlineData("""{"type":"item.completed","item":null}""")]
    [InlineData("""{"type":"error"}""")]
    [InlineData("""{"type":"error","message":42}""")]
    [InlineData("""{"type":"some.future.event"}""")]
    [InlineData("""{"no_type":true}""")]
    [InlineData("""{"type":42}""")]
    public void Unknown_or_uninteresting_events_give_nothing(string line)
    {
        Assert.Empty(Parse(line));
    }

    [Fact]
    public void Turn_events_with_fields_of_the_wrong_types_report_them_as_unknown()
    {
        var completed = LastOutcome(Parse("""{"type":"turn.completed","usage":{"input_tokens":"many","output_tokens":1.5}}"""));
        var failed = LastOutcome(Parse("""{"type":"turn.failed","error":"boom"}"""));

        Assert.Null(completed.InputTokens);
        Assert.Null(completed.OutputTokens);
        Assert.False(completed.IsError);
        Assert.True(failed.IsError);
        Assert.Empty(failed.Errors);
    }

    [Fact]
    public void Legacy_edit_recording_reports_the_command_the_message_and_the_tokens()
    {
        var events = ParseRecording("codex-0.40.0-edit.jsonl", Legacy);

        Assert.Equal([new AgentToolCall("Bash: sed -i 's/Hello, World!/Hello, Agent!/' Program.cs && echo edited")], events.OfType<AgentToolCall>());
        Assert.Equal([new AgentMessage("MOCK DONE")], events.OfType<AgentMessage>());
        Assert.Empty(events.OfType<AgentNotice>());
        var outcome = LastOutcome(events);
        Assert.False(outcome.IsError);
        Assert.Equal("MOCK DONE", outcome.FinalText);
        Assert.Equal(1, outcome.NumTurns);
        // The last cumulative token_count, not the sum of them.
        Assert.Equal(20, outcome.InputTokens);
        Assert.Equal(10, outcome.OutputTokens);
    }

    [Fact]
    public void Legacy_rejected_key_recording_stops_at_the_first_retry_and_fails_although_codex_exits_0()
    {
        var events = ParseRecording("codex-0.40.0-401.jsonl", Legacy);

        var first = events.FindIndex(e => e is AgentCredentialRejected);
        Assert.Equal(new AgentCredentialRejected(401), Assert.Single(events.OfType<AgentCredentialRejected>()));
        Assert.StartsWith("stream error: exceeded retry limit, last status: 401 Unauthorized; retrying 1/5", Assert.IsType<AgentNotice>(events[first - 1]).Text);
        var outcome = Assert.IsType<AgentFinished>(events[^1]).Outcome;
        Assert.True(outcome.IsError);
        Assert.Equal(["exceeded retry limit, last status: 401 Unauthorized"], outcome.Errors);
    }

    [Fact]
    public void Legacy_flat_token_counts_of_old_versions_are_summed()
    {
        var outcome = LastOutcome(ParseAs("0.29.0",
            """{"id":"0","msg":{"type":"token_count","input_tokens":10,"cached_input_tokens":2,"output_tokens":5,"total_tokens":15}}""",
            """{"id":"0","msg":{"type":"token_count","input_tokens":12,"output_tokens":3,"total_tokens":15}}"""));

        Assert.Equal(22, outcome.InputTokens);
        Assert.Equal(8, outcome.OutputTokens);
    }

    [Fact]
    public void Legacy_token_count_without_info_keeps_what_was_counted()
    {
        var outcome = LastOutcome(ParseAs(Legacy,
            """{"id":"0","msg":{"type":"token_count","info":{"total_token_usage":{"input_tokens":10,"output_tokens":5}}}}""",
            """{"id":"0","msg":{"type":"token_count","info":null,"rate_limits":{}}}"""));

        Assert.Equal(10, outcome.InputTokens);
        Assert.Equal(5, outcome.OutputTokens);
    }

    [Theory]
    [InlineData("""{"id":"0","msg":{"type":"exec_command_begin","command":["bash","-lc","dotnet build"]}}""", "Bash: dotnet build")]
    [InlineData("""{"id":"0","msg":{"type":"exec_command_begin","command":["git","status"]}}""", "Bash: git status")]
    [InlineData("""{"id":"0","msg":{"type":"exec_command_begin","command":"ls"}}""", "Bash")]
    [InlineData("""{"id":"0","msg":{"type":"patch_apply_begin","changes":{"/workspace/a.cs":{"update":{}}}}}""", "Edit a.cs")]
    [InlineData("""{"id":"0","msg":{"type":"patch_apply_begin"}}""", "Edit")]
    [InlineData("""{"id":"0","msg":{"type":"mcp_tool_call_begin","invocation":{"server":"docs","tool":"search"}}}""", "MCP docs/search")]
    public void Legacy_tool_calls_are_described_like_the_current_ones(string line, string expected)
    {
        Assert.Equal([new AgentToolCall(expected)], ParseAs(Legacy, line));
    }

    [Theory]
    [InlineData("""{"workdir":"/workspace","model":"gpt-5-codex","provider":"agentsandbox"}""")]
    [InlineData("""{"prompt":"Change the greeting"}""")]
    [InlineData("""{"id":"0","msg":{"type":"exec_command_output_delta","chunk":"ZWRpdGVkCg=="}}""")]
    [InlineData("""{"id":"0","msg":{"type":"agent_reasoning","text":"hm"}}""")]
    [InlineData("""{"id":"0","msg":"text"}""")]
    [InlineData("""{"id":"0","msg":{"type":"thread.started"}}""")]
    [InlineData("""{"type":"turn.completed","usage":{"input_tokens":1}}""")]
    public void Legacy_config_prompt_and_unknown_events_give_nothing(string line)
    {
        Assert.Empty(ParseAs(Legacy, line));
    }

    [Theory]
    [InlineData("0.43.9", false)]
    [InlineData("0.44.0", true)]
    [InlineData("0.169.0", true)]
    public void The_parser_follows_the_format_of_the_version(string version, bool threadEvents)
    {
        var events = ParseAs(version, """{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":1}}""");

        Assert.Equal(threadEvents, events.Count == 1);
    }

    [Fact]
    public void The_thread_id_is_the_session_a_later_run_continues()
    {
        Assert.Equal(new AgentSessionStarted("01a21b6f-9545-7880-bbf1-462d25b43904"),
            Assert.Single(Parse("""{"type":"thread.started","thread_id":"01a21b6f-9545-7880-bbf1-462d25b43904"}""")));
    }
}
