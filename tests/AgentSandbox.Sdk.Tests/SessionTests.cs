using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Presets;
using AgentSandbox.Reporting;
using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Conversations that continue: kept in a volume when the user asks, continued with the CLI's own resume, AgentFix's rounds in one session.</summary>
public sealed class SessionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string? Key(string name) => name is "ANTHROPIC_API_KEY" or "OPENAI_API_KEY" or "GEMINI_API_KEY" ? "sk-test" : null;

    private (AgentRunSpec Spec, IReadOnlyList<Warning> Warnings) Create(
        string target = "AgentRun", string? resume = null, string? sessionId = null, string? kind = null, string? readOnlyRoot = null, string? version = null,
        string? sessionsToKeep = null)
    {
        var (spec, warnings) = Specs.Create(Specs.Run(_temp.Path, target == "AgentRun" ? "Do it" : null, target) with
        {
            Resume = resume,
            SessionId = sessionId,
            AgentKind = kind,
            AgentCommand = kind == "custom" ? "fixer" : null,
            ReadOnlyRootFilesystem = readOnlyRoot,
            AgentVersion = version,
            SessionsToKeep = sessionsToKeep,
            ProjectFile = _temp.Combine("App.csproj"),
        }, Key);
        return (spec.Run!, warnings);
    }

    [Fact]
    public void Sessions_are_kept_in_a_volume_of_the_project_and_agent_only_when_asked_for()
    {
        var plain = Create().Spec;
        var resumed = Create(resume: "true").Spec;
        var named = Create(sessionId: "5dd5f123-4354-4899-baf1-833f74bc73b8").Spec;

        Assert.Null(plain.Sessions);
        Assert.DoesNotContain("--resume", plain.Command);
        Assert.Equal(new AgentSessions(resumed.Sessions!.Volume, "/home/agent/.claude/projects", ResumeLast: true), resumed.Sessions);
        Assert.StartsWith("agentsandbox-session-", resumed.Sessions.Volume);
        Assert.Equal(resumed.Sessions.Volume, named.Sessions!.Volume);
        Assert.False(named.Sessions.ResumeLast);
        Assert.Equal(["--resume", "5dd5f123-4354-4899-baf1-833f74bc73b8"], named.Command.SkipWhile(argument => argument != "--resume").Take(2));
        Assert.True(named.Command.ToList().IndexOf("--resume") < named.Command.ToList().IndexOf("--"));
    }

    [Theory]
    [InlineData("codex", "/home/agent/.codex/sessions", "resume|--|5dd5f123-4354-4899-baf1-833f74bc73b8|Do it")]
    [InlineData("gemini", "/home/agent/.gemini/tmp", "--resume=5dd5f123-4354-4899-baf1-833f74bc73b8")]
    public void Codex_and_Gemini_CLI_continue_a_session_by_id_from_their_own_session_folder(string kind, string folder, string resumeArguments)
    {
        var (spec, warnings) = Create(sessionId: "5dd5f123-4354-4899-baf1-833f74bc73b8", kind: kind);

        Assert.Empty(warnings);
        Assert.Equal(folder, spec.Sessions!.Folder);
        Assert.Contains(resumeArguments, string.Join("|", spec.Command));
    }

    [Theory]
    [InlineData("codex", "0.40.0", "0.44.0")]
    [InlineData("gemini", "0.11.3", "0.15.4")]
    public void A_version_that_cannot_resume_by_id_starts_fresh_with_AGS4108_naming_the_version_that_can(string kind, string version, string since)
    {
        var (spec, warnings) = Create(resume: "true", kind: kind, version: version);

        Assert.Null(spec.Sessions);
        Assert.Equal("AGS4108", Assert.Single(warnings).Code);
        Assert.Contains($"AgentVersion {since} or later", warnings[0].Message);
        Assert.DoesNotContain("resume", string.Join(" ", spec.Command));
    }

    [Fact]
    public void A_session_id_that_could_be_an_option_is_refused_and_an_agent_that_cannot_resume_starts_fresh_with_AGS4108()
    {
        Assert.Equal("AGS1005", Assert.Throws<AgentSandboxException>(() => Create(sessionId: "--dangerously-load")).Code);
        var (custom, warnings) = Create(resume: "true", kind: "custom");
        var (readOnly, readOnlyWarnings) = Create(resume: "true", readOnlyRoot: "true");

        Assert.Null(custom.Sessions);
        Assert.Equal("AGS4108", Assert.Single(warnings).Code);
        Assert.Null(readOnly.Sessions);
        Assert.Contains(readOnlyWarnings, warning => warning.Code == "AGS4108" && warning.Message.Contains("AgentReadOnlyRootFilesystem", StringComparison.Ordinal));
    }

    [Fact]
    public void Only_the_agent_s_container_gets_the_sessions_and_the_image_has_their_folder_as_the_agent_s()
    {
        var spec = Create(resume: "true").Spec;

        var agent = SandboxContainer.Create(spec, "agentsandbox:x", "agent", spec.Command, spec.Environment, false, agentCredentials: true);
        var build = SandboxContainer.Create(spec, "agentsandbox:x", "build", ["dotnet"], spec.BuildEnvironment, true);
        var dockerfile = DockerfileGenerator.Generate(ImageSpecs.Create(inputs: ImageSpecs.ImageInputs(agentKind: "claude")));

        Assert.Contains(agent.Caches, cache => cache.Name == spec.Sessions!.Volume && cache.Target == "/home/agent/.claude/projects" && cache.Labels["org.agentsandbox.cache"] == "session");
        Assert.DoesNotContain(build.Caches, cache => cache.Name == spec.Sessions!.Volume);
        Assert.Contains("mkdir -p /home/agent /workspace /var/cache/agentsandbox/nuget /home/agent/.claude/projects;", dockerfile);
        Assert.Contains("chown -R 1000:1000 /home/agent /workspace /var/cache/agentsandbox/nuget", dockerfile);
    }

    [Fact]
    public void The_last_session_is_the_one_an_earlier_run_of_the_same_agent_named()
    {
        var path = _temp.Write("result.json", """{ "agent": "claude", "sessionId": "5dd5f123" }""");
        var codex = _temp.Write("codex.json", """{ "agent": "codex", "sessionId": "01a21b6f" }""");
        var broken = _temp.Write("broken.json", """{ "agent": "claude", "sessionId": """);

        Assert.Equal(("claude", "5dd5f123"), (ResultDocument.ReadPrevious(path)?.Agent, ResultDocument.ReadPrevious(path)?.SessionId));
        Assert.Equal("codex", ResultDocument.ReadPrevious(codex)?.Agent);
        Assert.Null(ResultDocument.ReadPrevious(broken));
        Assert.Null(ResultDocument.ReadPrevious(_temp.Combine("missing.json")));
    }

    [Fact]
    public async Task AgentFix_rounds_after_the_first_continue_its_session_in_a_volume_of_the_run_s_own_that_goes_with_it()
    {
        _temp.Write("Program.cs", "Console.WriteLine(\"Hello\")\n");
        const string Broken = "/tmp/agentsandbox-build/Program.cs(1,35): error CS1002: ; expected [/tmp/agentsandbox-build/App.csproj]";
        var spec = Create(target: "AgentFix").Spec with { Network = "none" };
        string[] Claude(string session) =>
            [$$"""{"type":"system","subtype":"init","session_id":"{{session}}"}""", """{"type":"result","subtype":"success","is_error":false,"num_turns":1,"result":"tried"}"""];
        var engine = new FakeEngine()
            .ThenRun(new ContainerScript(1, [Broken])).ThenRun(new ContainerScript(0, Claude("s-1")))
            .ThenRun(new ContainerScript(1, [Broken])).ThenRun(new ContainerScript(0, Claude("s-1")))
            .ThenRun(new ContainerScript(0, ["Build succeeded."]));

        var result = await new FixLoop(AgentRunner.Default).RunAsync(spec, "agentsandbox:0123456789abcdef", engine, new RecordingLog(), CancellationToken.None);

        var agents = engine.Containers.Where(container => container.Labels["org.agentsandbox.purpose"] == "agent").ToList();
        Assert.Equal(2, agents.Count);
        Assert.DoesNotContain("--resume", agents[0].Command);
        Assert.Equal(["--resume", "s-1"], agents[1].Command.SkipWhile(argument => argument != "--resume").Take(2));
        Assert.Equal($"agentsandbox-session-run-{spec.Identity.RunId}", spec.Sessions!.Volume);
        Assert.All(agents, agent => Assert.Contains(agent.Caches, cache => cache.Name == spec.Sessions.Volume));
        Assert.Contains($"remove volume {spec.Sessions.Volume}", engine.Calls);
        Assert.Equal("s-1", result.SessionId);
    }

    [Fact]
    public async Task A_workspace_keeps_the_sessions_used_last_and_AgentSessionsToKeep_bounds_them()
    {
        var spec = Create(resume: "true", sessionsToKeep: "2").Spec;
        Assert.Equal(2, spec.Sessions!.ToKeep);
        EngineResource Volume(string name, string kind = "session", string? workspace = null) => new(ResourceKind.Volume, name, name, new Dictionary<string, string>
        {
            ["org.agentsandbox.version"] = "1", ["org.agentsandbox.cache"] = kind, ["org.agentsandbox.workspace"] = workspace ?? spec.KeptVolumesWorkspace,
        });
        var engine = new FakeEngine();
        engine.Resources.AddRange([Volume("agentsandbox-session-a"), Volume("agentsandbox-session-b"), Volume("agentsandbox-session-c"),
            Volume("agentsandbox-session-elsewhere", workspace: "/elsewhere"), Volume("agentsandbox-nuget-a", kind: "nuget")]);
        AgentRunSpec Using(string volume, int toKeep) => spec with { Sessions = spec.Sessions with { Volume = volume, ToKeep = toKeep } };

        await KeptSessions.PruneAsync(Using("agentsandbox-session-a", 3), engine, new RecordingLog());
        Assert.Empty(engine.Calls);
        // a was used before c; b has not been used since the index began.
        await KeptSessions.PruneAsync(Using("agentsandbox-session-c", 2), engine, new RecordingLog());

        Assert.Equal(["remove volume agentsandbox-session-b"], engine.Calls);
        Assert.Equal(["agentsandbox-session-a", "agentsandbox-session-c", "agentsandbox-session-elsewhere", "agentsandbox-nuget-a"], engine.Resources.Select(r => r.Name));
        Assert.Equal("AGS1005", Assert.Throws<AgentSandboxException>(() => Create(resume: "true", sessionsToKeep: "0")).Code);
    }
}
