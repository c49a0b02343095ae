using System.Text.Json;
using Json.Schema;

namespace AgentSandbox.Sdk.TestSupport;

/// <summary>schemas/result.schema.json, the contract result.json is held to: by the unit tests on every document shape, by the integration tests on every real run.</summary>
internal static class ResultSchema
{
    public static readonly string Path = Repository.File("schemas/result.schema.json");

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(Path)));

    /// <summary>What is wrong with a document, one line per failed rule; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(string json)
    {
        using var document = JsonDocument.Parse(json);
        var results = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid ? [] : (results.Details ?? [])
            .Where(detail => detail.Errors is { Count: > 0 })
            .SelectMany(detail => detail.Errors!.Select(error => $"{detail.InstanceLocation}: {error.Key}: {error.Value}"))
            .ToList();
    }

    public static void AssertValid(string json)
    {
        var problems = Problems(json);
        Assert.True(problems.Count == 0, $"result.json does not follow {Path}:\n{string.Join("\n", problems)}\n{json}");
    }

}
