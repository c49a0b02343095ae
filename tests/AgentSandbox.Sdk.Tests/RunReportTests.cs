using System.Globalization;
using System.Text.Json;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Reporting;
using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The summary line a person reads and the result.json a pipeline reads.</summary>
public sealed class RunReportTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static AgentRunResult Result(
        bool success = true,
        long exitCode = 0,
        long durationMs = 687,
        int? numTurns = 3,
        decimal? costUsd = 0.00042m,
        long? inputTokens = 30,
        long? outputTokens = 15,
        string? summary = "AGENT-SUMMARY: greeting changed",
        string[]? errors = null,
        ChangedFile[]? changedFiles = null,
        string? lastWords = null) =>
        new("AgentRun", "claude", "2.1.328", "agentsandbox:0123456789abcdef", exitCode, durationMs, numTurns, costUsd,
            inputTokens, outputTokens, summary, errors ?? [], 0, changedFiles ?? [new ChangedFile("Program.cs", FileChange.Modified)])
        {
            LastWords = lastWords,
            AgentSucceeded = success,
        };

    [Fact]
    public void Success_summary_has_turns_time_cost_tokens_and_files()
    {
        Assert.Equal(
            "Claude Code succeeded: 3 turns, 0.7 s, $0.0004, 30 tokens in / 15 out; 1 file changed.",
            RunReport.Summarize(Result(), "Claude Code"));
        Assert.Equal(
            "Claude Code succeeded: 3 turns, 0.7 s, $0.0004, 30 tokens in / 15 out, session 5dd5f123; 1 file changed.",
            RunReport.Summarize(Result() with { SessionId = "5dd5f123" }, "Claude Code"));
    }

    [Fact]
    public void Failure_summary_leaves_out_what_is_unknown()
    {
        var result = Result(success: false, exitCode: 1, durationMs: 172230, numTurns: null, costUsd: null, inputTokens: null, outputTokens: null, changedFiles: []);

        Assert.Equal("Claude Code failed: 172.2 s; no file changed.", RunReport.Summarize(result, "Claude Code"));
    }

    [Fact]
    public void Summary_counts_one_turn_and_several_files()
    {
        var result = Result(numTurns: 1, changedFiles: [new ChangedFile("a", FileChange.Added), new ChangedFile("b", FileChange.Deleted)]);

        var summary = RunReport.Summarize(result, "Claude Code");

        Assert.Contains(": 1 turn, ", summary);
        Assert.EndsWith("; 2 files changed.", summary);
    }

    [Fact]
    public void Summary_leaves_out_tokens_when_only_one_count_is_known()
    {
        Assert.DoesNotContain("tokens", RunReport.Summarize(Result(inputTokens: 30, outputTokens: null), "Claude Code"));
    }

    [Fact]
    public void Summary_numbers_do_not_depend_on_the_culture()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var summary = RunReport.Summarize(Result(durationMs: 1500, costUsd: 1.25m), "Claude Code");

            Assert.Contains("1.5 s", summary);
            Assert.Contains("$1.25", summary);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Report_logs_the_summary_and_each_changed_file_and_passes_on_success()
    {
        var log = new RecordingLog();

        var error = Reports.Report(Result(changedFiles: [new ChangedFile("src/A.cs", FileChange.Added), new ChangedFile("B.cs", FileChange.Modified)]), Specs.Minimal(_temp.Path), "obj/agent/AgentRun/result.json", log);

        Assert.Null(error);
        // One message, so that other projects' lines cannot come between.
        var lines = Assert.Single(log.Important).Split('\n');
        Assert.StartsWith("AgentRun for App: Claude Code 2.1.328 succeeded: ", lines[0]);
        Assert.EndsWith("; 2 files changed.", lines[0]);
        Assert.Equal(["  added: src/A.cs", "  modified: B.cs"], lines.Skip(1));
    }

    [Fact]
    public void The_outcome_on_the_projects_line_names_up_to_five_files_by_name_and_counts_the_rest()
    {
        var files = Enumerable.Range(1, 7).Select(i => new ChangedFile($"src/F{i}.cs", FileChange.Modified)).ToArray();

        Assert.Equal("7 files changed: F1.cs, F2.cs, F3.cs, F4.cs, F5.cs and 2 more", RunReport.Outcome(Result(changedFiles: files), namedFiles: 5));
        Assert.Equal("no file changed", RunReport.Outcome(Result(changedFiles: []), namedFiles: 5));
    }

    [Fact]
    public void Report_of_a_failure_is_AGS4002_with_the_exit_code_and_last_words()
    {
        var error = Reports.Report(Result(success: false, exitCode: 1, lastWords: "Reached maximum number of turns (1)"), Specs.Minimal(_temp.Path), "obj/agent/AgentRun/result.json", new RecordingLog());

        Assert.NotNull(error);
        Assert.Equal("AGS4002", error.Code);
        Assert.Contains("exit code 1", error.Message);
        Assert.Contains("Reached maximum number of turns (1)", error.Message);
    }

    [Fact]
    public void Result_json_has_camel_case_fields_with_the_run_facts()
    {
        var path = _temp.Combine("obj/agentsandbox/AgentRun/result.json");

        Reports.WriteJson(Result(), path);

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        Assert.Equal("claude", root.GetProperty("agent").GetString());
        Assert.Equal("agentsandbox:0123456789abcdef", root.GetProperty("image").GetString());
        Assert.Equal(0, root.GetProperty("exitCode").GetInt64());
        Assert.True(root.GetProperty("success").GetBoolean());
        Assert.Equal(687, root.GetProperty("durationMs").GetInt64());
        Assert.Equal(3, root.GetProperty("numTurns").GetInt32());
        Assert.Equal(0.00042m, root.GetProperty("costUsd").GetDecimal());
        Assert.Equal(30, root.GetProperty("inputTokens").GetInt64());
        Assert.Equal(15, root.GetProperty("outputTokens").GetInt64());
        Assert.Equal("AGENT-SUMMARY: greeting changed", root.GetProperty("finalText").GetString());
        var changed = Assert.Single(root.GetProperty("changedFiles").EnumerateArray());
        Assert.Equal("Program.cs", changed.GetProperty("path").GetString());
        Assert.Equal("modified", changed.GetProperty("change").GetString());
        Assert.False(root.TryGetProperty("Agent", out _));
    }

    [Fact]
    public void Result_json_of_a_failure_has_nulls_for_the_unknown_and_the_errors()
    {
        var path = _temp.Combine("result.json");

        Reports.WriteJson(Result(success: false, exitCode: 137, numTurns: null, costUsd: null, errors: ["boom"], changedFiles: []), path);

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        Assert.False(root.GetProperty("success").GetBoolean());
        Assert.Equal(137, root.GetProperty("exitCode").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("numTurns").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("costUsd").ValueKind);
        Assert.Equal(["boom"], root.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, root.GetProperty("changedFiles").GetArrayLength());
    }

    [Fact]
    public void Result_json_is_overwritten_by_the_next_run()
    {
        var path = _temp.Combine("result.json");
        Reports.WriteJson(Result(summary: new string('x', 5000)), path);

        Reports.WriteJson(Result(summary: "short"), path);

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal("short", document.RootElement.GetProperty("finalText").GetString());
    }
}
