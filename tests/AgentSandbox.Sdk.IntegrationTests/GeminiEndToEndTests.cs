using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// AgentRun with AgentKind gemini end to end: a real engine, the real Gemini CLI in the generated sandbox, and only
/// the model faked (a scripted Gemini API on 127.0.0.1, reached through the container's host network).
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed class GeminiEndToEndTests
{
    private const string Summary = "AGENT-SUMMARY: greeting changed by the scripted Gemini";

    // Starts with "-" and holds what a shell would expand: it must reach the CLI as the prompt, byte for byte.
    private const string Prompt = "- Change the greeting to \"Hello, Agent!\"\n- Keep $(whoami) and 'quotes'.";

    private static readonly ScriptedTurn[] EditScript =
    [
        new ToolUseTurn("replace", new
        {
            file_path = "/workspace/Program.cs", instruction = "Change the greeting.", old_string = "Hello, World!", new_string = "Hello, Agent!",
        }),
        new ToolUseTurn("write_file", new { file_path = "/workspace/NOTES.md", content = "Greeting changed.\n" }),
        new TextTurn(Summary),
    ];

    private static EnvironmentScope Environment(string key, FakeGeminiApi api) =>
        new(new Dictionary<string, string?> { ["GEMINI_API_KEY"] = key, ["GOOGLE_GEMINI_BASE_URL"] = api.BaseUrl.ToString().TrimEnd('/') });

    [DockerFact]
    public async Task EditsTheProjectAndReportsIt()
    {
        var apiKey = "gemini-e2e-" + Guid.NewGuid().ToString("N");
        await using var api = FakeGeminiApi.Start(EditScript, apiKey);
        using var environment = Environment(apiKey, api);
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(
            ("AgentKind", "gemini"), ("AgentPrompt", Prompt), ("AgentNetwork", "host"), ("AgentModel", "gemini-2.5-flash")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal("Console.WriteLine(\"Hello, Agent!\");\n", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Equal("Greeting changed.\n", File.ReadAllText(Path.Combine(project.Directory, "NOTES.md")));

        // The prompt arrived whole, every call carried the key, and -m spared the model router's call.
        var turns = api.Requests.Where(r => r.Kind == RequestKind.ConversationTurn).ToList();
        Assert.Equal(EditScript.Length, turns.Count);
        Assert.All(turns, turn => Assert.StartsWith("/v1beta/models/gemini-2.5-flash:streamGenerateContent", turn.Path));
        Assert.Contains(JsonSerializer.Serialize(Prompt)[1..^1], turns[0].Body!.ToJsonString());
        Assert.DoesNotContain(api.Requests, r => r.Kind == RequestKind.Unauthorized);

        Assert.Contains(run.Messages, m => m.Text == "  Edit Program.cs");
        Assert.Contains(run.Messages, m => m.Text == "  Write NOTES.md");
        Assert.Contains(run.Messages, m => m.Importance == Microsoft.Build.Framework.MessageImportance.High && m.Text == $"gemini: {Summary}");
        Assert.Contains(run.Messages, m => m.Text.StartsWith("AgentRun for Sample: Gemini CLI 0.61.0 succeeded: ", StringComparison.Ordinal) && m.Text.Contains("2 files changed"));
        Assert.Contains(run.Messages, m => m.Text.StartsWith("Command: gemini '--prompt=- Change the greeting", StringComparison.Ordinal));

        var resultPath = Path.Combine(project.SandboxDirectory, "AgentRun", "result.json");
        using var result = JsonDocument.Parse(File.ReadAllText(resultPath));
        var root = result.RootElement;
        Assert.Equal("gemini", root.GetProperty("agent").GetString());
        Assert.Equal("0.61.0", root.GetProperty("agentVersion").GetString());
        Assert.True(root.GetProperty("success").GetBoolean());
        Assert.Equal(0, root.GetProperty("exitCode").GetInt64());
        Assert.Equal(300, root.GetProperty("inputTokens").GetInt64());
        Assert.Equal(30, root.GetProperty("outputTokens").GetInt64());
        Assert.Equal(Summary, root.GetProperty("finalText").GetString());

        // The key is nowhere: not in the log, not in result.json, not in the image.
        Assert.DoesNotContain(apiKey, run.Log);
        Assert.DoesNotContain(apiKey, File.ReadAllText(resultPath));
        var image = root.GetProperty("image").GetString()!;
        Assert.DoesNotContain(apiKey, Shell.Run("docker", "history", "--no-trunc", image).Output);
        Assert.DoesNotContain(apiKey, Shell.Run("docker", "image", "inspect", image).Output);
        Assert.Empty(Shell.LeftoverContainers(project.Directory));
    }

    [DockerFact]
    public async Task RejectedKeyStopsTheRunWithAGS4003()
    {
        await using var api = FakeGeminiApi.Start(EditScript, "the-right-key");
        using var environment = Environment("a-wrong-key", api);
        using var project = new TestProject();
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "gemini"), ("AgentPrompt", "Change the greeting"), ("AgentNetwork", "host")));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4003", error.Code);
        Assert.Contains("HTTP 401", error.Text);
        Assert.Contains("GEMINI_API_KEY", error.Text);
        Assert.All(api.Requests, r => Assert.Equal(RequestKind.Unauthorized, r.Kind));
        Assert.Equal("Console.WriteLine(\"Hello, World!\");\n", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Empty(Shell.LeftoverContainers(project.Directory));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromMinutes(2), $"took {stopwatch.Elapsed}");
    }
}
