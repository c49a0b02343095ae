using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>Conversations that continue, with the real Claude Code CLI and the scripted API counting what each request carries.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class SessionEndToEndTests
{
    private static int Messages(RecordedRequest request) => request.Body!["messages"]!.AsArray().Count;

    private static List<RecordedRequest> Turns(FakeAnthropicApi api) => api.Requests.Where(r => r.Kind == RequestKind.ConversationTurn).ToList();

    /// <summary>The session volumes the engine keeps for a workspace (the test project removes them when it goes).</summary>
    private static string SessionVolumes(string workspace) =>
        Shell.Run("docker", "volume", "ls", "-q", "--filter", $"label=org.agentsandbox.workspace={workspace}", "--filter", "label=org.agentsandbox.cache=session").Output.Trim();

    [DockerFact]
    public async Task A_resumed_run_carries_the_earlier_conversation()
    {
        const string apiKey = "sk-ant-e2e-resume";
        await using var api = FakeAnthropicApi.Start([new TextTurn("Noted: kumquat."), new TextTurn("The word was kumquat.")], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        // The first run asks for its session to be kept; there is none to continue yet.
        var first = project.Build("AgentRun", SandboxProperties.ForSandboxBuilds(("AgentPrompt", "Remember the word kumquat."), ("AgentResume", "true")));
        var afterFirst = Turns(api).Count;
        var second = project.Build("AgentRun", SandboxProperties.ForSandboxBuilds(("AgentPrompt", "Which word did I ask you to remember?"), ("AgentResume", "true")));

        Assert.True(first.Succeeded, first.Log);
        Assert.Contains(first.Warnings, w => w.Code == "AGS4108");
        Assert.True(second.Succeeded, second.Log);
        Assert.DoesNotContain(second.Warnings, w => w.Code == "AGS4108");
        var resumed = Turns(api)[afterFirst];
        // The second run's first request holds the first run's prompt and answer before its own prompt.
        var fresh = Messages(Turns(api)[0]);
        Assert.True(Messages(resumed) >= fresh + 2, $"{fresh} messages fresh: {resumed.Body!.ToJsonString()}");
        Assert.Contains("Remember the word kumquat.", resumed.Body!.ToJsonString());
        Assert.Contains("Noted: kumquat.", resumed.Body!.ToJsonString());
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
        Assert.Matches("^[0-9a-f-]{36}$", result.RootElement.GetProperty("sessionId").GetString());
        Console.WriteLine($"resumed run: first request {Messages(resumed)} messages, {resumed.Body!.ToJsonString().Length} bytes; a fresh run's {fresh} messages, {Turns(api)[0].Body!.ToJsonString().Length} bytes");
        // Kept for the next run: the one volume of this project and agent.
        Assert.StartsWith("agentsandbox-session-", SessionVolumes(project.Directory));
    }

    /// <summary>Codex: `codex exec resume` sends the kept thread's items before the new prompt.</summary>
    [DockerFact]
    public async Task A_resumed_Codex_run_carries_the_earlier_thread()
    {
        const string apiKey = "sk-proj-e2e-resume";
        await using var api = FakeOpenAiResponsesApi.Start([new TextTurn("Noted: kumquat."), new TextTurn("The word was kumquat.")], apiKey);
        using var environment = EnvironmentScope.WithOpenAiApi(apiKey, api.BaseUrl);
        using var project = new TestProject();

        var resumed = RunTwice(project, () => api.Requests, ("AgentKind", "codex"), ("AgentNetwork", "host"));

        var items = resumed.Body!["input"]!.AsArray().Count;
        Assert.True(items >= 3, $"{items} input items: {resumed.Body!.ToJsonString()}");
        Console.WriteLine($"resumed Codex run: first request {items} input items, {resumed.Body!.ToJsonString().Length} bytes");
    }

    /// <summary>Gemini CLI: --resume finds the chat in the project's kept folder and sends it before the new prompt.</summary>
    [DockerFact]
    public async Task A_resumed_Gemini_CLI_run_carries_the_earlier_chat()
    {
        const string apiKey = "gemini-e2e-resume";
        await using var api = FakeGeminiApi.Start([new TextTurn("Noted: kumquat."), new TextTurn("The word was kumquat.")], apiKey);
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["GEMINI_API_KEY"] = apiKey, ["GOOGLE_GEMINI_BASE_URL"] = api.BaseUrl.ToString().TrimEnd('/') });
        using var project = new TestProject();

        var resumed = RunTwice(project, () => api.Requests, ("AgentKind", "gemini"), ("AgentNetwork", "host"), ("AgentModel", "gemini-2.5-flash"));

        var contents = resumed.Body!["contents"]!.AsArray().Count;
        Assert.True(contents >= 3, $"{contents} contents: {resumed.Body!.ToJsonString()}");
        Console.WriteLine($"resumed Gemini CLI run: first request {contents} contents, {resumed.Body!.ToJsonString().Length} bytes");
    }

    /// <summary>Two AgentResume runs, the second asking about the first: the second run's first model request.</summary>
    private static RecordedRequest RunTwice(TestProject project, Func<IReadOnlyList<RecordedRequest>> requests, params (string, string)[] agent)
    {
        var first = project.Build("AgentRun", SandboxProperties.ForTests([.. agent, ("AgentPrompt", "Remember the word kumquat."), ("AgentResume", "true")]));
        var afterFirst = requests().Count(r => r.Kind == RequestKind.ConversationTurn);
        var second = project.Build("AgentRun", SandboxProperties.ForTests([.. agent, ("AgentPrompt", "Which word did I ask you to remember?"), ("AgentResume", "true")]));

        Assert.True(first.Succeeded, first.Log);
        Assert.True(second.Succeeded, second.Log);
        Assert.DoesNotContain(second.Warnings, w => w.Code == "AGS4108");
        Assert.Contains(second.Messages, m => m.Text.StartsWith("Command: ", StringComparison.Ordinal) && m.Text.Contains("resume", StringComparison.Ordinal));
        var resumed = requests().Where(r => r.Kind == RequestKind.ConversationTurn).ElementAt(afterFirst);
        var body = resumed.Body!.ToJsonString();
        Assert.Contains("Remember the word kumquat.", body);
        Assert.Contains("Noted: kumquat.", body);
        Assert.Contains("Which word did I ask you to remember?", body);
        Assert.StartsWith("agentsandbox-session-", SessionVolumes(project.Directory));
        return resumed;
    }

    [DockerFact]
    public async Task AgentFix_rounds_continue_one_session_whose_volume_goes_with_the_run()
    {
        const string apiKey = "sk-ant-e2e-fix-session";
        await using var api = FakeAnthropicApi.Start(
        [
            new TextTurn("I looked at Program.cs."),
            new ToolUseTurn("Edit", new { file_path = "/workspace/Program.cs", old_string = "World!\")", new_string = "World!\");" }),
            new TextTurn("Added the missing semicolon."),
        ], apiKey);
        using var environment = EnvironmentScope.WithApi(apiKey, api.BaseUrl);
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "Program.cs"), "Console.WriteLine(\"Hello, World!\")\n");

        var run = project.Build("AgentFix", SandboxProperties.ForSandboxBuilds());

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, m => m.Text.Contains("iteration 2/3", StringComparison.Ordinal));
        var turns = Turns(api);
        var secondRound = turns.First(turn => turn.Body!.ToJsonString().Contains("I looked at Program.cs.", StringComparison.Ordinal));
        // Round 2 starts where round 1 ended: its first request holds round 1's prompt and answer.
        var fresh = Messages(turns[0]);
        Assert.True(Messages(secondRound) >= fresh + 2, $"{fresh} messages fresh: {secondRound.Body!.ToJsonString()}");
        Console.WriteLine($"AgentFix round 2: first request {Messages(secondRound)} messages, {secondRound.Body!.ToJsonString().Length} bytes; round 1's {fresh} messages, {turns[0].Body!.ToJsonString().Length} bytes");
        // The rounds' session was the run's alone.
        Assert.Equal("", SessionVolumes(project.Directory));
    }
}
