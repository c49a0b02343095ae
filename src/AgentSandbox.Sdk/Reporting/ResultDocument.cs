using AgentSandbox.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSandbox.Errors;
using AgentSandbox.Review;
using AgentSandbox.Run;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Reporting;

/// <summary>
/// result.json: the public contract with scripts and CI. Every field is documented in README and in
/// schemas/result.schema.json (shipped in the package), which a test holds real results to; run state that is not
/// part of the contract stays in <see cref="AgentRunResult"/>. A change that removes or retypes a field raises
/// <see cref="CurrentSchemaVersion"/>.
/// </summary>
/// <param name="Error">The AGS error the target failed with; null when it succeeded (or was cancelled).</param>
internal sealed record ResultDocument(
    int SchemaVersion,
    string Target,
    string Project,
    string? Solution,
    string Agent,
    string AgentVersion,
    string Image,
    bool Success,
    ResultError? Error,
    long? ExitCode,
    long DurationMs,
    int? NumTurns,
    decimal? CostUsd,
    long? InputTokens,
    long? OutputTokens,
    string? FinalText,
    IReadOnlyList<string> Errors,
    int PermissionDenials,
    IReadOnlyList<ResultChangedFile> ChangedFiles)
{
    public const int CurrentSchemaVersion = 1;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ResultVerification? Verification { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ResultFinding>? Findings { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ResultIteration>? Iterations { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? PlantedGitMetadata { get; init; }

    /// <summary>Copy mode: whether the changes reached the tree; absent in mount mode.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Applied { get; init; }

    /// <summary>Copy mode: the changes as a patch git apply takes, when there were any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Patch { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ResultRefusal>? Refused { get; init; }

    /// <summary>Worktree mode: the branch holding the agent's changes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Branch { get; init; }

    /// <summary>The checkpoint AgentRestore takes the tree back to; absent when none was taken.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Checkpoint { get; init; }

    /// <summary>Copy mode: the run's cache key, whether it was a hit (the run was skipped) and the run whose outcome this is.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RunCache? Cache { get; init; }

    /// <summary>The agent CLI's session (thread) id; absent when the CLI reported none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SessionId { get; init; }

    /// <summary>AgentEngine=kubernetes: the pod the agent ran in, its namespace and its node.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ResultPod? Pod { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        // The shape compiled in (ResultJson), so that no build works it out by reflection; these options still decide
        // the names, and any enum added later is written in camelCase like the document's other values.
        TypeInfoResolver = ResultJson.Default,
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <param name="error">The coded error the target ends with, if any.</param>
    /// <summary>Largest result.json read back; an earlier run's is a few kilobytes.</summary>
    private const int MaxReadBack = 16 * 1024 * 1024;

    /// <summary>
    /// What the last run of the same target recorded, for an AgentResume run that follows it: its agent and its
    /// session; null when there is no readable result.json. Mount mode lets an agent write the file, so the session id
    /// is checked like AgentSessionId. Whether a run may be skipped is never read from here (see RunRecord).
    /// </summary>
    public static PreviousRun? ReadPrevious(string resultPath)
    {
        try
        {
            var file = new FileInfo(resultPath);
            if (!file.Exists || file.Length > MaxReadBack || file.LinkTarget is not null)
            {
                return null;
            }
            using var document = JsonDocument.Parse(File.ReadAllText(resultPath));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            string? Text(JsonElement element, string name) =>
                element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return new PreviousRun(Text(root, "agent") ?? "", Text(root, "sessionId"));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    public static ResultDocument From(AgentRunResult result, AgentRunSpec spec, AgentSandboxException? error) => new(
        CurrentSchemaVersion,
        result.Target,
        spec.ProjectName,
        spec.SolutionName,
        result.Agent,
        result.AgentVersion,
        result.Image,
        result.Success,
        error is null ? null : new ResultError(error.Code, error.Message),
        result.ExitCode,
        result.DurationMs,
        result.NumTurns,
        result.CostUsd,
        result.InputTokens,
        result.OutputTokens,
        result.FinalText,
        result.Errors,
        result.PermissionDenials,
        result.ChangedFiles.Select(file => new ResultChangedFile(file.Path, file.Change.ToString().ToLowerInvariant())).ToList())
    {
        Verification = result.Verification is { } verification ? ResultVerification.From(verification) : null,
        Findings = result.Findings?.Select(finding => new ResultFinding(finding.Severity.ToString().ToLowerInvariant(), finding.File, finding.Line, finding.Message)).ToList(),
        Iterations = result.Iterations?.Select(round => new ResultIteration(round.Number, round.Errors, round.Warnings, round.AgentSucceeded, round.NumTurns, round.CostUsd, round.DurationMs)).ToList(),
        PlantedGitMetadata = result.PlantedGitMetadata,
        Applied = result.Applied,
        Patch = result.PatchFile,
        Checkpoint = result.Checkpoint,
        SessionId = result.SessionId,
        Pod = result.Placement is { } placement ? new ResultPod(placement.Namespace, placement.Pod, placement.Node) : null,
        Cache = result.Cache,
        Branch = result.Branch,
        Refused = result.Refusals?.Select(refusal => new ResultRefusal(JsonNamingPolicy.CamelCase.ConvertName(refusal.Kind.ToString()), refusal.Path)).ToList(),
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <param name="reach">The folder the agent could write to: no link planted inside it is followed.</param>
    /// <param name="agentUid">The agent's user in mount mode when it is not the build's: no folder it owns is trusted.</param>
    public void WriteTo(string path, string reach, uint? agentUid = null) => SafeFiles.Write(path, System.Text.Encoding.UTF8.GetBytes(ToJson()), reach, agentUid);
}

internal sealed record ResultError(string Code, string Message);

internal sealed record ResultPod(string Namespace, string Name, string? Node);

/// <param name="Reason">protected, link, gitMetadata or name.</param>
internal sealed record ResultRefusal(string Reason, string Path);

/// <param name="Change">modified, added or deleted.</param>
internal sealed record ResultChangedFile(string Path, string Change);

/// <param name="Severity">error, warning or info.</param>
internal sealed record ResultFinding(string Severity, string File, int Line, string Message);

internal sealed record ResultIteration(int Number, int Errors, int Warnings, bool AgentSucceeded, int? NumTurns, decimal? CostUsd, long DurationMs);

/// <param name="Mode">build or test.</param>
internal sealed record ResultVerification(
    string Mode, bool Succeeded, long ExitCode, int ErrorCount, int WarningCount, IReadOnlyList<BuildDiagnostic> Diagnostics, long DurationMs, IReadOnlyList<string> OutputTail)
{
    /// <summary>Test mode only: what the test platform's reports say ran.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TestRun? Tests { get; init; }

    public static ResultVerification From(VerificationResult verification) => new(
        verification.Verb, verification.Succeeded, verification.ExitCode, verification.ErrorCount, verification.WarningCount,
        verification.Diagnostics, verification.DurationMs, verification.OutputTail)
    {
        Tests = verification.Tests,
    };
}

/// <summary>What a run's result.json recorded for an AgentResume run of the same target: the agent and its session.</summary>
internal sealed record PreviousRun(string Agent, string? SessionId);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ResultDocument))]
internal sealed partial class ResultJson : JsonSerializerContext;
