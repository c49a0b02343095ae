using AgentSandbox.Agents;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The stream-json parser, on real recordings of Claude Code 2.1.328 and on damaged input.</summary>
public sealed class ClaudeStreamJsonParserTests
{
    private static List<AgentEvent> ParseRecording(string name)
    {
        var parser = new ClaudeCodeProfile().CreateParser(NuGet.Versioning.NuGetVersion.Parse("2.1.328"));
        return File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Recordings", name)).SelectMany(parser.ParseLine).ToList();
    }

    private static List<AgentEvent> Parse(params string[] lines)
    {
        var parser = new ClaudeCodeProfile().CreateParser(NuGet.Versioning.NuGetVersion.Parse("2.1.328"));
        return lines.SelectMany(line => parser.ParseLine(line).ToList()).ToList();
    }

    private static AgentOutcome ParseResult(string line) => Assert.IsType<AgentFinished>(Assert.Single(Parse(line))).Outcome;

    private static string ToolCall(string name, string inputJson) =>
        Assert.IsType<AgentToolCall>(Assert.Single(Parse(
            $$$"""{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"{{{name}}}","input":{{{inputJson}}}}]}}"""))).Description;

    [Fact]
    public void Edit_recording_reports_the_tool_calls_the_message_and_the_result_in_order()
    {
        var events = ParseRecording("claude-2.1.328-edit.jsonl");

        Assert.Collection(events,
            e => Assert.Equal(new AgentSessionStarted("5dd5f123-4354-4899-baf1-833f74bc73b8"), e),
            e => Assert.Equal(new AgentToolCall("Read Program.cs"), e),
            e => Assert.Equal(new AgentToolCall("Edit Program.cs"), e),
            e => Assert.Equal(new AgentMessage("AGENT-SUMMARY: greeting changed by the scripted model"), e),
            e => Assert.IsType<AgentFinished>(e));
    }

    [Fact]
    public void Edit_recording_result_has_turns_cost_duration_and_tokens()
    {
        var outcome = Assert.IsType<AgentFinished>(ParseRecording("claude-2.1.328-edit.jsonl")[^1]).Outcome;

        Assert.False(outcome.IsError);
        Assert.Equal("completed", outcome.Kind);
        Assert.Equal("AGENT-SUMMARY: greeting changed by the scripted model", outcome.FinalText);
        Assert.Equal(3, outcome.NumTurns);
        Assert.Equal(0.00042m, outcome.CostUsd);
        Assert.Equal(687, outcome.DurationMs);
        Assert.Equal(30, outcome.InputTokens);
        Assert.Equal(15, outcome.OutputTokens);
        Assert.Empty(outcome.Errors);
        Assert.Equal(0, outcome.PermissionDenials);
    }

    [Fact]
    public void Max_turns_recording_ends_in_an_error_with_the_clis_reason()
    {
        var events = ParseRecording("claude-2.1.328-maxturns.jsonl");

        Assert.Equal([new AgentToolCall("Read Program.cs")], events.OfType<AgentToolCall>());
        var outcome = Assert.IsType<AgentFinished>(events[^1]).Outcome;
        Assert.True(outcome.IsError);
        Assert.Equal("max_turns", outcome.Kind);
        Assert.Equal(["Reached maximum number of turns (1)"], outcome.Errors);
        Assert.Equal(2, outcome.NumTurns);
        Assert.Equal(499, outcome.DurationMs);
        Assert.Null(outcome.FinalText);
    }

    [Fact]
    public void Rejected_key_recording_reports_each_retry_as_a_notice()
    {
        var notices = ParseRecording("claude-2.1.328-401.jsonl").OfType<AgentNotice>().ToList();

        Assert.Equal(10, notices.Count);
        Assert.Equal("API request failed (401), retry 1/10", notices[0].Text);
        Assert.Equal("API request failed (401), retry 10/10", notices[^1].Text);
    }

    [Fact]
    public void Rejected_key_is_recognised_at_the_first_retry_so_the_run_can_stop_there()
    {
        var events = ParseRecording("claude-2.1.328-401.jsonl");

        var firstRejection = events.FindIndex(e => e is AgentCredentialRejected);
        Assert.Equal(new AgentCredentialRejected(401), events[firstRejection]);
        Assert.Equal("API request failed (401), retry 1/10", Assert.IsType<AgentNotice>(events[firstRejection - 1]).Text);
        Assert.Empty(ParseRecording("claude-2.1.328-edit.jsonl").OfType<AgentCredentialRejected>());
    }

    [Fact]
    public void Rejected_key_recording_is_an_error_although_its_subtype_says_success()
    {
        var events = ParseRecording("claude-2.1.328-401.jsonl");

        Assert.Empty(events.OfType<AgentToolCall>());
        // The CLI's synthetic assistant message carries the API's complaint.
        Assert.Equal([new AgentMessage("Invalid API key · Fix external API key")], events.OfType<AgentMessage>());
        var outcome = Assert.IsType<AgentFinished>(events[^1]).Outcome;
        Assert.True(outcome.IsError);
        Assert.Equal("api_error", outcome.Kind);
        Assert.Equal("Invalid API key · Fix external API key", outcome.FinalText);
        Assert.Equal(172230, outcome.DurationMs);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t")]
    public void Blank_line_gives_nothing(string line)
    {
        Assert.Empty(Parse(line));
    }

    [Theory]
    [InlineData("""{"type":"assistant","message":{"content":[{"type":"text","text":"hal""")]
    [InlineData("""{"type":"result","is_error":false,""")]
    [InlineData("{")]
    [InlineData("""{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Bash","input":{"command":"dotnet test"}}]}""")]
    public void Truncated_json_gives_at_most_a_notice(string line)
    {
        var events = Parse(line);

        Assert.All(events, e => Assert.IsType<AgentNotice>(e));
        Assert.True(events.Count <= 1);
    }

    [Theory]
    [InlineData("npm warn deprecated something@1.0.0")]
    [InlineData("Error: connect ECONNREFUSED 127.0.0.1:443")]
    public void Plain_text_line_becomes_a_notice_with_its_text(string line)
    {
        Assert.Equal([new AgentNotice(line)], Parse(line));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"type":"result","is_error":true}]""")]
    [InlineData("42")]
    [InlineData("\"result\"")]
    [InlineData("null")]
    [InlineData("true")]
    public void Json_that_is_not_an_object_gives_nothing(string line)
    {
        Assert.Empty(Parse(line));
    }

    [Theory]
    [InlineData("""{"type":"stream_event","event":{"type":"message_start"}}""")]
    [InlineData("""{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"ok"}]}}""")]
    [InlineData("""{"type":"system","subtype":"init","cwd":"/workspace"}""")]
    [InlineData("""{"type":"system","subtype":"compact_boundary"}""")]
    [InlineData("""{"no_type":true}""")]
    [InlineData("""{"type":42}""")]
    public void Unknown_or_uninteresting_types_give_nothing(string line)
    {
        Assert.Empty(Parse(line));
    }

    [Fact]
    public void Result_with_no_fields_is_a_failure_with_nothing_known()
    {
        var outcome = ParseResult("""{"type":"result"}""");

        Assert.True(outcome.IsError);
        Assert.Null(outcome.Kind);
        Assert.Null(outcome.FinalText);
        Assert.Null(outcome.NumTurns);
        Assert.Null(outcome.DurationMs);
        Assert.Null(outcome.CostUsd);
        Assert.Null(outcome.InputTokens);
        Assert.Null(outcome.OutputTokens);
        Assert.Empty(outcome.Errors);
        Assert.Equal(0, outcome.PermissionDenials);
    }

    [Fact]
    public void Result_without_is_error_is_judged_by_its_subtype()
    {
        Assert.False(ParseResult("""{"type":"result","subtype":"success"}""").IsError);
        Assert.True(ParseResult("""{"type":"result","subtype":"error_during_execution"}""").IsError);
    }

    [Fact]
    public void Result_with_fields_of_the_wrong_types_reports_them_as_unknown()
    {
        var outcome = ParseResult(
            """{"type":"result","subtype":7,"result":["x"],"num_turns":"3","duration_ms":1.5,"total_cost_usd":"0.1","usage":"lots","errors":"boom","permission_denials":{}}""");

        Assert.Null(outcome.Kind);
        Assert.Null(outcome.FinalText);
        Assert.Null(outcome.NumTurns);
        Assert.Null(outcome.DurationMs);
        Assert.Null(outcome.CostUsd);
        Assert.Null(outcome.InputTokens);
        Assert.Empty(outcome.Errors);
        Assert.Equal(0, outcome.PermissionDenials);
    }

    [Fact]
    public void Result_keeps_only_the_string_errors_and_counts_permission_denials()
    {
        var outcome = ParseResult("""{"type":"result","is_error":true,"errors":["first",2,null,"second"],"permission_denials":[{"tool_name":"Bash"},{"tool_name":"Write"}],"usage":{"input_tokens":"many","output_tokens":7}}""");

        Assert.Equal(["first", "second"], outcome.Errors);
        Assert.Equal(2, outcome.PermissionDenials);
        Assert.Null(outcome.InputTokens);
        Assert.Equal(7, outcome.OutputTokens);
    }

    [Fact]
    public void Result_with_a_cost_beyond_the_decimal_range_does_not_throw()
    {
        // JsonElement.GetDecimal throws FormatException for numbers outside decimal's range.
        var outcome = ParseResult("""{"type":"result","is_error":false,"total_cost_usd":1e300}""");

        Assert.Null(outcome.CostUsd);
    }

    [Theory]
    [InlineData("""{"type":"assistant","message":"hello"}""")]
    [InlineData("""{"type":"assistant","message":null}""")]
    [InlineData("""{"type":"assistant","message":[{"content":[]}]}""")]
    public void Assistant_event_whose_message_is_not_an_object_does_not_throw(string line)
    {
        // JsonElement.TryGetProperty throws InvalidOperationException on anything but an object.
        Assert.Empty(Parse(line));
    }

    [Theory]
    [InlineData("""{"type":"assistant"}""")]
    [InlineData("""{"type":"assistant","message":{}}""")]
    [InlineData("""{"type":"assistant","message":{"content":"text"}}""")]
    [InlineData("""{"type":"assistant","message":{"content":[1,"two",null,[],{"type":"text"},{"type":"text","text":""},{"type":"image"}]}}""")]
    public void Assistant_event_without_usable_content_gives_nothing(string line)
    {
        Assert.Empty(Parse(line));
    }

    [Fact]
    public void System_retry_with_missing_fields_still_gives_a_notice()
    {
        var notice = Assert.IsType<AgentNotice>(Assert.Single(Parse("""{"type":"system","subtype":"api_retry","error":"overloaded_error"}""")));

        Assert.StartsWith("API request failed (overloaded_error)", notice.Text);
    }

    [Fact]
    public void Text_and_tool_use_blocks_of_one_message_come_out_in_order()
    {
        var events = Parse("""{"type":"assistant","message":{"content":[{"type":"text","text":"  Let me look.\n"},{"type":"tool_use","name":"Glob","input":{"pattern":"**/*.cs"}},{"type":"text","text":"Done"}]}}""");

        Assert.Equal<AgentEvent>([new AgentMessage("Let me look."), new AgentToolCall("Glob **/*.cs"), new AgentMessage("Done")], events);
    }

    [Fact]
    public void Bash_call_is_described_by_its_command()
    {
        Assert.Equal("Bash: dotnet test", ToolCall("Bash", """{"command":"dotnet test","description":"Run tests"}"""));
    }

    [Fact]
    public void Multi_line_bash_command_is_shortened_to_its_first_line()
    {
        var description = ToolCall("Bash", """{"command":"cd src\r\ndotnet build\ndotnet test"}""");

        Assert.DoesNotContain('\n', description);
        Assert.DoesNotContain('\r', description);
        Assert.StartsWith("Bash: cd src", description);
        Assert.EndsWith("…", description);
    }

    [Fact]
    public void Very_long_command_is_cut()
    {
        var description = ToolCall("Bash", $$"""{"command":"echo {{new string('x', 500)}}"}""");

        Assert.Equal("Bash: ".Length + 200 + 1, description.Length);
        Assert.EndsWith("…", description);
    }

    [Theory]
    [InlineData("Read", """{"file_path":"/workspace/src/App/Program.cs"}""", "Read src/App/Program.cs")]
    [InlineData("Write", """{"file_path":"/workspace/README.md","content":"x"}""", "Write README.md")]
    [InlineData("MultiEdit", """{"file_path":"/workspace/a.cs","edits":[]}""", "MultiEdit a.cs")]
    [InlineData("Read", """{"file_path":"/etc/passwd"}""", "Read /etc/passwd")]
    [InlineData("Read", """{"file_path":"/workspaces/other.cs"}""", "Read /workspaces/other.cs")]
    [InlineData("NotebookEdit", """{"notebook_path":"/workspace/n.ipynb"}""", "NotebookEdit n.ipynb")]
    [InlineData("Grep", """{"pattern":"TODO","path":"/workspace"}""", "Grep TODO")]
    [InlineData("WebFetch", """{"url":"https://example.com/"}""", "WebFetch https://example.com/")]
    [InlineData("WebSearch", """{"query":"xunit theory"}""", "WebSearch xunit theory")]
    [InlineData("Task", """{"description":"Explore the tests","prompt":"..."}""", "Task Explore the tests")]
    [InlineData("TodoWrite", """{"todos":[]}""", "TodoWrite")]
    [InlineData("Bash", """{}""", "Bash")]
    [InlineData("Bash", """{"command":42}""", "Bash")]
    [InlineData("Read", """ "not an object" """, "Read")]
    [InlineData("Edit", """null""", "Edit")]
    public void Tool_calls_are_described_the_way_a_person_would(string name, string input, string expected)
    {
        Assert.Equal(expected, ToolCall(name, input));
    }

    [Fact]
    public void Tool_use_without_a_name_or_input_is_still_reported()
    {
        var call = Assert.IsType<AgentToolCall>(Assert.Single(Parse("""{"type":"assistant","message":{"content":[{"type":"tool_use"}]}}""")));

        Assert.Equal("tool", call.Description);
    }
}
