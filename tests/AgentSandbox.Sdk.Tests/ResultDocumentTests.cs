using System.Text.Json;
using AgentSandbox.Errors;
using AgentSandbox.Reporting;
using AgentSandbox.Review;
using AgentSandbox.Run;
using AgentSandbox.Sdk.TestSupport;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Verification;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>result.json as a contract: every shape follows the published schema, and run state stays out of it.</summary>
public sealed class ResultDocumentTests
{
    private static AgentRunResult Result(long? exitCode = 0, bool agentSucceeded = true) =>
        new("AgentRun", "claude", "2.1.328", "agentsandbox:0123456789abcdef", exitCode, 687, 3, 0.00042m, 30, 15, "done", [], 0,
            [new ChangedFile("Program.cs", FileChange.Modified), new ChangedFile("src/New.cs", FileChange.Added)])
        {
            AgentSucceeded = agentSucceeded,
            LastWords = agentSucceeded ? null : "it broke",
            ReportedOutcome = true,
        };

    private static readonly VerificationResult FailedBuild = new(VerifyMode.Build, 1,
        [new BuildDiagnostic(true, "Program.cs", 3, 5, "CS1002", "; expected"), new BuildDiagnostic(false, null, 0, 0, null, "restore warning")], 1200, ["Build FAILED."]);

    public static TheoryData<string> Shapes => ["success", "failure", "cancelled", "verification", "review", "fix", "planted"];

    private static AgentRunResult Shape(string shape) => shape switch
    {
        "success" => Result(),
        "failure" => Result(exitCode: null, agentSucceeded: false) with
        {
            NumTurns = null, CostUsd = null, InputTokens = null, OutputTokens = null, FinalText = null,
            Failure = Diagnostics.EngineUnreachable("unix:///x.sock", "no socket"),
        },
        "cancelled" => Result(exitCode: null, agentSucceeded: false) with { Failure = new OperationCanceledException(), Errors = ["The build was cancelled."] },
        "verification" => Result() with { Target = "AgentRefactor", Verification = FailedBuild },
        "review" => Result() with
        {
            Target = "AgentReview",
            Findings = [new ReviewFinding(FindingSeverity.Error, "src/A.cs", 4, "Bug."), new ReviewFinding(FindingSeverity.Info, "B.cs", 1, "Note.")],
        },
        "fix" => Result() with
        {
            Target = "AgentFix",
            Verification = FailedBuild with { ExitCode = 0, Diagnostics = [] },
            Iterations = [new FixIteration(1, 2, 0, true, 3, 0.01m, 900), new FixIteration(2, 1, 1, true, null, null, 800)],
        },
        "planted" => Result() with { PlantedGitMetadata = ["a/.git (renamed to .git.quarantined-by-agentsandbox)"] },
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary>result.json as the pipeline writes it: with the error the report gives the result.</summary>
    private static string Json(AgentRunResult result)
    {
        var spec = Specs.RunSpec(Specs.Run(Specs.SomeProjectDirectory, "Do it", result.Target));
        return ResultDocument.From(result, spec, RunReport.RecordedError(result, RunReport.Verdict(result, spec, "result.json"))).ToJson();
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_shape_of_result_follows_the_published_schema(string shape)
    {
        ResultSchema.AssertValid(Json(Shape(shape)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_target_that_failed_names_its_error_unless_it_was_cancelled(string shape)
    {
        using var document = JsonDocument.Parse(Json(Shape(shape)));
        var success = document.RootElement.GetProperty("success").GetBoolean();
        var error = document.RootElement.GetProperty("error");

        Assert.Equal(success || shape == "cancelled", error.ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public void The_schema_refuses_a_field_it_does_not_document_and_a_missing_one()
    {
        using var document = JsonDocument.Parse(ResultDocument.From(Result(), Specs.Minimal(Specs.SomeProjectDirectory), null).ToJson());
        var fields = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());

        var extra = "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}").Append("\"agentSucceeded\":true")) + "}";
        var missing = "{" + string.Join(",", fields.Where(f => f.Key != "success").Select(f => $"\"{f.Key}\":{f.Value}")) + "}";

        Assert.NotEmpty(ResultSchema.Problems(extra));
        Assert.NotEmpty(ResultSchema.Problems(missing));
    }

    [Fact]
    public void Run_state_stays_in_memory()
    {
        var json = Json(Shape("failure") with { CredentialRejectedStatus = 401, ReviewUnanswered = true });

        foreach (var state in new[] { "agentSucceeded", "lastWords", "reviewUnanswered", "credentialRejectedStatus", "reportedOutcome", "failure", "after", "failOn" })
        {
            Assert.DoesNotContain($"\"{state}\"", json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Document_has_its_schema_version_and_the_error_the_target_failed_with()
    {
        using var document = JsonDocument.Parse(Json(Shape("failure")));

        Assert.Equal(ResultDocument.CurrentSchemaVersion, document.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("AGS2001", document.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(document.RootElement.GetProperty("success").GetBoolean());
    }

    [Fact]
    public void Schema_version_is_the_one_the_schema_allows()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(ResultSchema.Path));

        Assert.Equal(ResultDocument.CurrentSchemaVersion, schema.RootElement.GetProperty("properties").GetProperty("schemaVersion").GetProperty("const").GetInt32());
    }

    [Fact]
    public void README_documents_every_field_of_the_schema_and_no_other()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(ResultSchema.Path));
        var fields = schema.RootElement.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);

        Assert.Equal(fields, Readme.ResultJsonFields().Order(StringComparer.Ordinal));
    }
}
