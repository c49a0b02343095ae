using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// AgentRun with AgentKind codex end to end: a real engine, the real Codex CLI in the generated sandbox, and only the
/// model faked (a scripted OpenAI Responses API on 127.0.0.1, reached through the container's host network).
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed class CodexEndToEndTests
{
    private const string Summary = "AGENT-SUMMARY: greeting changed by the scripted model";
    private const string Sed = "sed -i 's/Hello, World!/Hello, Agent!/' Program.cs && echo edited";

    // A prompt a shell would mangle: it must reach the CLI as one argument, byte for byte.
    private const string Prompt = "Change the greeting to \"Hello, Agent!\"\nKeep $(whoami), `id` and 'quotes' as they are; -m stays too.";

    private static readonly ScriptedTurn[] EditScript = [new ExecTurn(Sed), new TextTurn(Summary)];

    private static Dictionary<string, string> CodexProperties(string prompt) =>
        SandboxProperties.ForTests(("AgentKind", "codex"), ("AgentPrompt", prompt), ("AgentNetwork", "host"));

    [DockerFact]
    public async Task EditsTheProjectAndReportsIt()
    {
        var apiKey = "sk-proj-e2e-" + Guid.NewGuid().ToString("N");
        await using var api = FakeOpenAiResponsesApi.Start(EditScript, apiKey);
        using var environment = EnvironmentScope.WithOpenAiApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        var run = project.Build("AgentRun", CodexProperties(Prompt));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal("Console.WriteLine(\"Hello, Agent!\");\n", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));

        // The prompt arrived whole, and every model call carried the key from the build's environment.
        var turns = api.Requests.Where(r => r.Kind == RequestKind.ConversationTurn).ToList();
        Assert.Equal(EditScript.Length, turns.Count);
        Assert.All(turns, turn => Assert.Equal(apiKey, turn.ApiKey));
        Assert.Contains(JsonSerializer.Serialize(Prompt)[1..^1], turns[0].Body!.ToJsonString());

        // Streamed as it happened: the command, the agent's words, the summary with the changed file.
        Assert.Contains(run.Messages, m => m.Text == "  Bash: " + Sed);
        Assert.Contains(run.Messages, m => m.Importance == Microsoft.Build.Framework.MessageImportance.High && m.Text == "codex: " + Summary);
        Assert.Contains(run.Messages, m => m.Text.StartsWith("AgentRun for Sample: Codex 0.169.0 succeeded: 1 turn, ", StringComparison.Ordinal));
        // The gateway URL is on the command line, and masked where the command is logged: it may carry a token.
        Assert.Contains(run.Messages, m => m.Text.StartsWith("Command: codex exec --json ", StringComparison.Ordinal) && m.Text.Contains("base_url=\"***\""));
        Assert.DoesNotContain(api.BaseUrl.ToString().TrimEnd('/'), run.Log);
        Assert.Contains("  modified: Program.cs", run.MessageLines);
        Assert.Equal(["Program.cs:modified"], run.ChangedFiles.Select(i => $"{i.GetMetadata("RelativePath")}:{i.GetMetadata("Change")}").ToArray());

        var resultPath = Path.Combine(project.SandboxDirectory, "AgentRun", "result.json");
        using var result = JsonDocument.Parse(File.ReadAllText(resultPath));
        var root = result.RootElement;
        Assert.Equal("codex", root.GetProperty("agent").GetString());
        Assert.Equal("0.169.0", root.GetProperty("agentVersion").GetString());
        Assert.Equal(0, root.GetProperty("exitCode").GetInt64());
        Assert.True(root.GetProperty("success").GetBoolean());
        Assert.Equal(1, root.GetProperty("numTurns").GetInt32());
        Assert.True(root.GetProperty("inputTokens").GetInt64() > 0);
        Assert.True(root.GetProperty("outputTokens").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("costUsd").ValueKind);
        Assert.Equal(Summary, root.GetProperty("finalText").GetString());
        Assert.Equal(1, root.GetProperty("changedFiles").GetArrayLength());

        Assert.DoesNotContain(apiKey, run.Log);
        Assert.DoesNotContain(apiKey, File.ReadAllText(resultPath));
        Assert.Empty(Shell.LeftoverContainers(project.Directory));
    }

    [DockerFact]
    public async Task RejectedKeyStopsTheRunAtOnceWithAGS4003()
    {
        await using var api = FakeOpenAiResponsesApi.Start(EditScript, "sk-proj-the-right-key");
        using var environment = EnvironmentScope.WithOpenAiApi("sk-proj-a-wrong-key", api.BaseUrl);
        using var project = new TestProject();
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var run = project.Build("AgentRun", CodexProperties("Change the greeting"));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4003", error.Code);
        Assert.Contains("HTTP 401", error.Text);
        Assert.Contains("OPENAI_API_KEY", error.Text);
        Assert.Contains(run.Messages, m => m.Text.StartsWith("codex: (Reconnecting... 1/5 (unexpected status 401", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Messages, m => m.Text.Contains("Reconnecting... 5/5", StringComparison.Ordinal));
        Assert.DoesNotContain(api.Requests, r => r.Kind == RequestKind.ConversationTurn);
        Assert.Contains(api.Requests, r => r.Kind == RequestKind.Unauthorized);
        Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Empty(Shell.LeftoverContainers(project.Directory));
        Console.WriteLine($"rejected key reported after {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }
}
