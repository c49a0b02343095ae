using AgentSandbox.Agents;
using NuGet.Versioning;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Gemini CLI's output parsers (stream-json, json, text), on real recordings and on damaged input.</summary>
public sealed class GeminiStreamJsonParserTests
{
    private static IAgentOutputParser Parser(string version = "0.61.0") => new GeminiCliProfile().CreateParser(NuGetVersion.Parse(version));

    private static List<AgentEvent> ParseRecording(string name, string version)
    {
        var parser = Parser(version);
        return File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Recordings", name)).SelectMany(parser.ParseLine).ToList();
    }

    private static List<AgentEvent> Parse(params string[] lines) => ParseWith(Parser(), lines);

    private static List<AgentEvent> ParseWith(IAgentOutputParser parser, params string[] lines) =>
        lines.SelectMany(line => parser.ParseLine(line).ToList()).ToList();

    private static AgentOutcome Outcome(List<AgentEvent> events) => Assert.IsType<AgentFinished>(events[^1]).Outcome;

    [Theory]
    [InlineData("gemini-0.61.0-edit.jsonl", "0.61.0", "Write hello.txt")]
    [InlineData("gemini-0.11.3-edit.jsonl", "0.11.3", "Write /work/research/gemini/runs/0.11.3-edit/work/hello.txt")]
    public void Edit_recording_reports_each_whole_message_the_tool_call_and_the_result_in_order(string recording, string version, string toolCall)
    {
        var events = ParseRecording(recording, version);

        Assert.Collection(events,
            e => Assert.IsType<AgentSessionStarted>(e),
            e => Assert.Equal(new AgentMessage("I will create the file."), e),
            e => Assert.Equal(new AgentToolCall(toolCall), e),
            e => Assert.Equal(new AgentMessage("Done. I created hello.txt for you."), e),
            e => Assert.IsType<AgentFinished>(e));
    }

    [Fact]
    public void Edit_recording_result_has_tokens_duration_and_the_last_message()
    {
        var outcome = Outcome(ParseRecording("gemini-0.61.0-edit.jsonl", "0.61.0"));

        Assert.False(outcome.IsError);
        Assert.Equal("success", outcome.Kind);
        Assert.Equal("Done. I created hello.txt for you.", outcome.FinalText);
        Assert.Equal(360, outcome.InputTokens);
        Assert.Equal(33, outcome.OutputTokens);
        Assert.Equal(125, outcome.DurationMs);
        Assert.Null(outcome.NumTurns);
        Assert.Null(outcome.CostUsd);
        Assert.Empty(outcome.Errors);
    }

    [Theory]
    [InlineData("gemini-0.61.0-401.jsonl", 401, "API key not valid")]
    [InlineData("gemini-0.61.0-403.jsonl", 403, "Permission denied")]
    public void Rejected_key_recording_is_a_credential_rejection_and_an_error(string recording, int status, string message)
    {
        var events = ParseRecording(recording, "0.61.0");

        Assert.Equal([new AgentCredentialRejected(status)], events.OfType<AgentCredentialRejected>());
        var outcome = Outcome(events);
        Assert.True(outcome.IsError);
        Assert.Contains(message, Assert.Single(outcome.Errors));
        // 0 on error paths means "not measured": the run's own elapsed time is used instead.
        Assert.Null(outcome.DurationMs);
        Assert.Equal(0, outcome.InputTokens);
    }

    [Fact]
    public void Turn_limit_recording_is_an_error_with_the_clis_reason()
    {
        var events = ParseRecording("gemini-0.61.0-maxturns.jsonl", "0.61.0");

        Assert.Equal(2, events.OfType<AgentToolCall>().Count());
        Assert.Empty(events.OfType<AgentCredentialRejected>());
        var outcome = Outcome(events);
        Assert.True(outcome.IsError);
        Assert.Equal("FatalTurnLimitedError", outcome.Kind);
        Assert.StartsWith("Reached max session turns", Assert.Single(outcome.Errors));
        Assert.Equal("I will create the file.", outcome.FinalText);
    }

    [Fact]
    public void Success_without_any_answer_from_the_model_is_an_error()
    {
        // 0.11.3 with a rejected key: exit code 0, status success, zero tokens; the cause is on stderr only.
        var outcome = Outcome(ParseRecording("gemini-0.11.3-401.jsonl", "0.11.3"));

        Assert.True(outcome.IsError);
        Assert.Contains("the model never answered", Assert.Single(outcome.Errors));
        Assert.Null(outcome.FinalText);
    }

    [Fact]
    public void Pieces_of_a_message_become_one_message_when_the_message_ends()
    {
        var parser = Parser();

        Assert.Empty(parser.ParseLine("""{"type":"message","role":"assistant","content":"Hel","delta":true}"""));
        Assert.Empty(parser.ParseLine("""{"type":"message","role":"assistant","content":"lo","delta":true}"""));
        Assert.Equal([new AgentMessage("Hello")], parser.ParseLine("""{"type":"tool_result","tool_id":"x","status":"success"}"""));
    }

    [Fact]
    public void Message_without_delta_is_whole_at_once()
    {
        Assert.Equal([new AgentMessage("Complete.")], Parse("""{"type":"message","role":"assistant","content":" Complete. "}"""));
    }

    [Fact]
    public void User_messages_and_an_init_without_a_session_give_nothing()
    {
        Assert.Empty(Parse("""{"type":"init","model":"auto"}""", """{"type":"message","role":"user","content":"Do it"}"""));
    }

    [Theory]
    [InlineData("run_shell_command", """{"command":"dotnet test\nmore","description":"Run tests"}""", "Bash: dotnet test …")]
    [InlineData("replace", """{"file_path":"/workspace/src/Program.cs","old_string":"a","new_string":"b"}""", "Edit src/Program.cs")]
    [InlineData("read_file", """{"absolute_path":"/workspace/a.cs"}""", "Read a.cs")]
    [InlineData("write_file", """{"file_path":"/etc/passwd","content":"x"}""", "Write /etc/passwd")]
    [InlineData("list_directory", """{"dir_path":"/workspace/src"}""", "list_directory src")]
    [InlineData("glob", """{"pattern":"**/*.cs"}""", "glob **/*.cs")]
    [InlineData("google_web_search", """{"query":"xunit theory"}""", "google_web_search xunit theory")]
    [InlineData("write_todos", """{"todos":[]}""", "write_todos")]
    [InlineData("run_shell_command", """{"command":42}""", "run_shell_command")]
    [InlineData("replace", "null", "replace")]
    public void Tool_calls_are_described_the_way_a_person_would(string name, string parameters, string expected)
    {
        var events = Parse($$"""{"type":"tool_use","tool_name":"{{name}}","tool_id":"t1","parameters":{{parameters}}}""");

        Assert.Equal([new AgentToolCall(expected)], events);
    }

    [Fact]
    public void Failed_tool_is_a_notice_naming_the_tool_and_the_reason()
    {
        var events = Parse(
            """{"type":"tool_use","tool_name":"write_file","tool_id":"w1","parameters":{"file_path":"hello.txt"}}""",
            """{"type":"tool_result","tool_id":"w1","status":"error","output":"x","error":{"type":"invalid_tool_params","message":"File path must be absolute: hello.txt"}}""");

        Assert.Equal(new AgentNotice("write_file failed: File path must be absolute: hello.txt"), events[^1]);
    }

    [Fact]
    public void Error_event_is_a_notice_and_a_quoted_401_a_rejection()
    {
        Assert.Equal([new AgentNotice("warning: Loop detected")], Parse("""{"type":"error","severity":"warning","message":"Loop detected"}"""));
        Assert.Contains(new AgentCredentialRejected(401), Parse("""{"type":"error","severity":"error","message":"{\"error\":{\"code\": 401}}"}"""));
    }

    [Fact]
    public void Result_with_no_fields_is_a_failure_with_nothing_known()
    {
        var outcome = Outcome(Parse("""{"type":"result"}"""));

        Assert.True(outcome.IsError);
        Assert.Null(outcome.DurationMs);
        Assert.Null(outcome.InputTokens);
        Assert.Null(outcome.FinalText);
    }

    [Fact]
    public void Result_with_fields_of_the_wrong_types_does_not_throw()
    {
        var outcome = Outcome(Parse("""{"type":"result","status":7,"error":"boom","stats":{"input_tokens":"many","duration_ms":1.5}}"""));

        Assert.True(outcome.IsError);
        Assert.Empty(outcome.Errors);
        Assert.Null(outcome.InputTokens);
        Assert.Null(outcome.DurationMs);
    }

    [Theory]
    [InlineData("""{"type":"message","role":"assistant","content":"hal""")]
    [InlineData("""{"type":"result","status":"success",""")]
    [InlineData("{")]
    [InlineData("npm warn deprecated something@1.0.0")]
    public void Truncated_json_or_plain_text_gives_a_notice_with_the_line(string line)
    {
        Assert.Equal([new AgentNotice(line)], Parse(line));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("\"result\"")]
    [InlineData("""{"no_type":true}""")]
    [InlineData("""{"type":42}""")]
    [InlineData("""{"type":"something_new","x":1}""")]
    [InlineData("""{"type":"tool_result","tool_id":"x","status":"success"}""")]
    public void Blank_non_object_unknown_and_uninteresting_lines_give_nothing(string line)
    {
        Assert.Empty(Parse(line));
    }

    [Fact]
    public void Json_document_recording_is_put_together_from_its_lines()
    {
        var events = ParseRecording("gemini-0.6.1-edit.json", "0.6.1");

        Assert.Equal(new AgentMessage("Done. I created hello.txt for you."), events[0]);
        var outcome = Outcome(events);
        Assert.Equal(2, events.Count);
        Assert.False(outcome.IsError);
        Assert.Equal("Done. I created hello.txt for you.", outcome.FinalText);
        Assert.Equal(350, outcome.InputTokens);
        Assert.Equal(28, outcome.OutputTokens);
    }

    [Fact]
    public void Json_document_tokens_are_summed_over_models()
    {
        var outcome = Outcome(ParseRecording("gemini-0.61.0-edit.json", "0.10.0"));

        Assert.Equal(360, outcome.InputTokens);
        Assert.Equal(33, outcome.OutputTokens);
    }

    [Fact]
    public void Json_document_with_an_error_is_a_failure_and_a_quoted_401_a_rejection()
    {
        var events = ParseWith(Parser("0.6.1"), "{", """  "error": {""", """    "type": "ApiError",""",
            """    "message": "{\"error\":{\"code\":401}}",""", """    "code": 401""", "  }", "}");

        Assert.Equal(new AgentCredentialRejected(401), events[0]);
        var outcome = Outcome(events);
        Assert.True(outcome.IsError);
        Assert.Equal("ApiError", outcome.Kind);
        Assert.Equal(["{\"error\":{\"code\":401}}"], outcome.Errors);
    }

    [Fact]
    public void Json_document_on_one_line_is_parsed_at_once()
    {
        var events = ParseWith(Parser("0.6.1"), """{"response":"Hi","stats":{}}""");

        Assert.Equal(new AgentMessage("Hi"), events[0]);
        Assert.Null(Outcome(events).InputTokens);
    }

    [Fact]
    public void Text_before_the_document_is_a_notice_and_a_broken_document_ends_as_one()
    {
        var events = ParseWith(Parser("0.6.1"), "Loaded cached credentials.", "{", """  "response": "Hi",""", """  "stats": {""", "}");

        Assert.Equal(new AgentNotice("Loaded cached credentials."), events[0]);
        Assert.StartsWith("{", Assert.IsType<AgentNotice>(Assert.Single(events.Skip(1))).Text);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("""{"response":["x"],"error":"boom"}""")]
    public void Json_document_of_the_wrong_shape_does_not_throw(string line)
    {
        var events = ParseWith(Parser("0.6.1"), line);

        Assert.All(events, e => Assert.IsNotType<AgentMessage>(e));
    }

    [Fact]
    public void Text_output_is_the_models_words()
    {
        Assert.Equal([new AgentMessage("I will create the file.Done. I created hello.txt for you.")], ParseRecording("gemini-0.2.2-edit.txt", "0.2.2"));
    }

    [Fact]
    public void The_init_event_s_session_id_is_the_session_a_later_run_continues()
    {
        Assert.Equal(new AgentSessionStarted("8c0d2c9e-1111-2222-3333-444455556666"),
            Assert.Single(Parse("""{"type":"init","timestamp":"2026-12-02T07:00:00.000Z","session_id":"8c0d2c9e-1111-2222-3333-444455556666","model":"gemini-2.5-pro"}""")));
    }
}
