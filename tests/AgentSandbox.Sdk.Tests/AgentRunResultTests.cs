using AgentSandbox.Errors;
using AgentSandbox.Agents;
using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>How a run's exit code, final result event and output become its result. No engine is contacted.</summary>
public sealed class AgentRunResultTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private readonly FakeEngine _engine = new FakeEngine();

    public void Dispose() => _temp.Dispose();

    private AgentRunContext Context(long exitCode, AgentOutcome? outcome, string? lastMessage = null, params string[] output) =>
        Context("claude", exitCode, outcome, lastMessage, output);

    private AgentRunContext Context(string agentKind, long exitCode, AgentOutcome? outcome, string? lastMessage = null, params string[] output)
    {
        var context = new AgentRunContext(Specs.Minimal(_temp.Path, "Change the greeting", agentKind), "agentsandbox:0123456789abcdef", _engine, new RecordingLog())
        {
            ExitCode = exitCode,
            Outcome = outcome,
            Elapsed = TimeSpan.FromMilliseconds(2500),
            ChangedFiles = [new ChangedFile("Program.cs", FileChange.Modified)],
        };
        if (lastMessage is not null)
        {
            context.Messages.Add(lastMessage);
        }
        foreach (var line in output)
        {
            context.RememberOutput(line);
        }
        return context;
    }

    private static AgentOutcome Outcome(bool isError, string? finalText = null, string[]? errors = null, long? durationMs = 687) =>
        new(isError, isError ? "error" : "completed", finalText, 3, durationMs, 0.00042m, 30, 15, errors ?? [], 0);

    [Fact]
    public void Clean_exit_with_a_successful_result_is_success_with_the_results_facts()
    {
        var result = Context(0, Outcome(false, "AGENT-SUMMARY: done")).ToResult();

        Assert.True(result.Success);
        Assert.Null(result.LastWords);
        Assert.Equal("AgentRun", result.Target);
        Assert.Equal("claude", result.Agent);
        Assert.Equal("2.1.328", result.AgentVersion);
        Assert.Equal("agentsandbox:0123456789abcdef", result.Image);
        Assert.Equal(687, result.DurationMs);
        Assert.Equal(3, result.NumTurns);
        Assert.Equal(0.00042m, result.CostUsd);
        Assert.Equal("AGENT-SUMMARY: done", result.FinalText);
        Assert.Equal([new ChangedFile("Program.cs", FileChange.Modified)], result.ChangedFiles);
    }

    [Fact]
    public void Clean_exit_with_an_error_result_is_a_failure()
    {
        // Claude Code's rejected-key run: is_error true, whatever the exit code says.
        var result = Context(0, Outcome(true, "Invalid API key · Fix external API key")).ToResult();

        Assert.False(result.Success);
        Assert.Equal("Invalid API key · Fix external API key", result.LastWords);
    }

    [Fact]
    public void Non_zero_exit_with_a_successful_result_is_a_failure()
    {
        Assert.False(Context(1, Outcome(false, "done")).ToResult().Success);
    }

    [Fact]
    public void Errors_are_the_last_words_of_a_failure()
    {
        var result = Context(1, Outcome(true, "final text", ["Reached maximum number of turns (1)", "second"])).ToResult();

        Assert.Equal("Reached maximum number of turns (1); second", result.LastWords);
        Assert.Equal(["Reached maximum number of turns (1)", "second"], result.Errors);
    }

    [Fact]
    public void Without_a_result_event_the_last_message_and_the_elapsed_time_are_used()
    {
        var result = Context(2, null, "I could not finish.").ToResult();

        Assert.False(result.Success);
        Assert.Equal("I could not finish.", result.FinalText);
        Assert.Equal("I could not finish.", result.LastWords);
        Assert.Equal(2500, result.DurationMs);
        Assert.Null(result.NumTurns);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Without_result_or_message_the_last_output_lines_are_the_last_words()
    {
        var result = Context(127, null, null, "sh: claude: not found", "exit").ToResult();

        Assert.Equal($"sh: claude: not found{Environment.NewLine}exit", result.LastWords);
    }

    [Fact]
    public void Silent_failure_says_how_to_see_more()
    {
        var result = Context(1, null).ToResult();

        Assert.Contains("-v:detailed", result.LastWords);
    }

    [Fact]
    public void A_kill_for_memory_is_AGS4022_naming_the_limit_and_how_to_raise_it()
    {
        var context = Context(137, null);
        context.OutOfMemory = true;

        var result = context.ToResult();

        var error = Assert.IsType<AgentSandboxException>(result.Failure);
        Assert.Equal("AGS4022", error.Code);
        Assert.Contains("AgentMemoryLimit (4096 MiB)", error.Message);
        Assert.Contains("-p:AgentMemoryLimit=8g", error.Message);
    }

    [Fact]
    public void A_kill_from_outside_is_AGS4023()
    {
        var result = Context(137, null).ToResult();

        Assert.Equal("AGS4023", Assert.IsType<AgentSandboxException>(result.Failure).Code);
        Assert.StartsWith("AGS4023: ", Assert.Single(result.Errors));
    }

    [Fact]
    public void Exit_code_the_agent_explains_is_its_last_words_when_it_said_nothing_else()
    {
        var result = Context("gemini", 145, null, null, "stderr noise").ToResult();

        Assert.Equal("exit code 145: the API rejected the key (HTTP 401)", result.LastWords);
        Assert.Equal(["exit code 145: the API rejected the key (HTTP 401)"], result.Errors);
    }

    [Fact]
    public void Errors_the_agent_reported_win_over_its_exit_codes_meaning()
    {
        var result = Context("gemini", 53, Outcome(true, errors: ["Reached max session turns"])).ToResult();

        Assert.Equal(["Reached max session turns"], result.Errors);
    }

    [Fact]
    public void Unexplained_exit_code_leaves_the_errors_empty()
    {
        Assert.Empty(Context("gemini", 1, null).ToResult().Errors);
        Assert.Empty(Context("claude", 145, null).ToResult().Errors);
    }

    [Fact]
    public void Clean_exit_without_a_result_event_is_success()
    {
        Assert.True(Context(0, null).ToResult().Success);
    }

    [Fact]
    public void Output_tail_keeps_only_the_last_lines()
    {
        var lines = Enumerable.Range(1, AgentRunContext.OutputTailLines + 5).Select(i => $"line {i}").ToArray();

        var context = Context(1, null, null, lines);

        Assert.Equal(lines.TakeLast(AgentRunContext.OutputTailLines), context.OutputTail);
    }
}
