using AgentSandbox.Agents;
using AgentSandbox.Image;
using NuGet.Versioning;
using static AgentSandbox.Sdk.Tests.TestSupport.ImageSpecs;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentKind custom: AgentCommand as an argument vector with the prompt in it, plain-text output, installed by AgentInstallCommand.</summary>
public sealed class CustomCommandProfileTests
{
    private static readonly NuGetVersion Version = new(0, 0, 0);

    private static IReadOnlyList<string> Command(string agentCommand, string prompt = "Fix the build", string[]? extraArguments = null) =>
        AgentProfiles.Find("custom", agentCommand).BuildCommand(new AgentInvocation(prompt, Version, ExtraArguments: extraArguments));

    [Fact]
    public void Prompt_replaces_the_placeholder_argument()
    {
        Assert.Equal(["aider", "--yes", "--message", "Fix the build", "--no-git"], Command("aider;--yes;--message;{prompt};--no-git"));
    }

    [Fact]
    public void Prompt_replaces_the_placeholder_inside_an_argument()
    {
        Assert.Equal(["agent", "--message=Fix the build", "--quiet"], Command("agent;--message={prompt};--quiet"));
    }

    [Fact]
    public void Prompt_is_appended_when_there_is_no_placeholder()
    {
        Assert.Equal(["agent", "run", "Fix the build"], Command("agent;run"));
    }

    [Fact]
    public void Extra_arguments_come_before_the_appended_prompt()
    {
        Assert.Equal(["agent", "run", "--fast", "--model", "x", "Fix the build"], Command("agent;run", extraArguments: ["--fast", "--model", "x"]));
    }

    [Fact]
    public void Extra_arguments_follow_the_command_when_it_has_a_placeholder()
    {
        Assert.Equal(["agent", "-m", "Fix the build", "--fast"], Command("agent;-m;{prompt}", extraArguments: ["--fast"]));
    }

    [Theory]
    [InlineData("a; rm -rf / && echo $HOME | tee ~/x > /dev/null & \\")]
    [InlineData("$(curl evil) `id` \"quoted\" 'single'")]
    [InlineData("First line\nsecond line")]
    [InlineData("--help")]
    [InlineData("{prompt}")]
    public void Prompt_with_shell_metacharacters_stays_one_unchanged_argument(string prompt)
    {
        Assert.Equal(["agent", "-m", prompt], Command("agent;-m;{prompt}", prompt));
        Assert.Equal(["agent", prompt], Command("agent", prompt));
    }

    [Fact]
    public void Profile_is_named_after_its_executable_and_needs_no_credentials()
    {
        var profile = AgentProfiles.Find("custom", " aider ;--yes", "  pip install aider-chat  ");

        Assert.Equal("custom", profile.Kind);
        Assert.Equal("aider", profile.Executable);
        Assert.Equal("custom agent 'aider'", profile.DisplayName);
        Assert.Equal("custom agent 'aider'", profile.Describe(Version));
        Assert.Equal("pip install aider-chat", profile.InstallCommand);
        Assert.Null(profile.NpmPackage);
        Assert.Empty(profile.CredentialVariables);
        Assert.Empty(profile.OptionalVariables);
        Assert.Empty(profile.SandboxEnvironment);
        Assert.Empty(profile.RootEnvironment);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("   ")]
    public void Blank_install_command_is_none(string? installCommand)
    {
        Assert.Null(new CustomCommandProfile(["agent"], installCommand).InstallCommand);
    }

    [Theory]
    [InlineData(nameof(AgentSetting.ExtraArguments), true)]
    [InlineData(nameof(AgentSetting.Model), false)]
    [InlineData(nameof(AgentSetting.MaxTurns), false)]
    [InlineData(nameof(AgentSetting.MaxBudgetUsd), false)]
    [InlineData(nameof(AgentSetting.Version), false)]
    public void Only_extra_arguments_are_supported(string settingName, bool expected)
    {
        var setting = Enum.Parse<AgentSetting>(settingName);

        Assert.Equal(expected, new CustomCommandProfile(["agent"], null).Supports(setting, Version));
    }

    [Fact]
    public void Parser_turns_every_non_blank_line_into_a_message()
    {
        var parser = new CustomCommandProfile(["agent"], null).CreateParser(Version);

        var events = new[] { "Reading Program.cs", "", "   ", "  Edited it.  ", "{\"type\":\"result\"}" }.SelectMany(parser.ParseLine).ToList();

        Assert.Equal([new AgentMessage("Reading Program.cs"), new AgentMessage("  Edited it."), new AgentMessage("{\"type\":\"result\"}")], events);
    }

    private static string Dockerfile(string? kind, string? agentCommand = null, string? installCommand = null) =>
        DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentKind: kind) with { AgentCommand = agentCommand, AgentInstallCommand = installCommand }));

    [Fact]
    public void Dockerfile_of_a_custom_agent_runs_its_install_command_and_installs_neither_node_nor_npm_packages()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentKind: "custom", agentVersion: "9.9.9") with
        {
            AgentCommand = "aider;{prompt}",
            AgentInstallCommand = "pip install --no-cache-dir aider-chat==0.86.1 &&\n  aider --version",
        }));

        Assert.DoesNotContain("npm install", dockerfile);
        Assert.DoesNotContain("nodejs", dockerfile);
        Assert.DoesNotContain("9.9.9", dockerfile);
        Assert.Contains("    node=; \\\n", dockerfile);
        Assert.Contains("\nRUN pip install --no-cache-dir aider-chat==0.86.1 && aider --version\n", dockerfile);
        Assert.Contains("# AgentInstallCommand: installs custom agent 'aider'.", dockerfile);
    }

    [Fact]
    public void Dockerfile_of_a_custom_agent_without_an_install_command_uses_what_the_base_image_has()
    {
        var dockerfile = Dockerfile("custom", "my-agent");

        Assert.DoesNotContain("npm install", dockerfile);
        Assert.DoesNotContain("AgentInstallCommand", dockerfile);
    }

    [Fact]
    public void Dockerfile_of_claude_installs_it_with_npm_and_node_when_missing_and_ignores_a_custom_install_command()
    {
        var dockerfile = Dockerfile("claude", "aider", "pip install aider-chat");

        Assert.Contains("RUN npm install --global", dockerfile);
        Assert.Contains("command -v npm >/dev/null 2>&1 || node=\"nodejs npm\"", dockerfile);
        Assert.DoesNotContain("pip install", dockerfile);
    }

    [Theory]
    [InlineData("apt-get update\napt-get install -y foo", new[] { "apt-get update", "apt-get install -y foo" })]
    [InlineData("  pipx install \\\n    aider-chat  \n\n", new[] { "pipx install aider-chat" })]
    [InlineData("curl -fsSL https://example.test/i.sh |\n sh", new[] { "curl -fsSL https://example.test/i.sh | sh" })]
    [InlineData("make ||\r\n  true", new[] { "make || true" })]
    [InlineData("a &&\n\n  b", new[] { "a && b" })]
    [InlineData("ends in a backslash \\", new[] { "ends in a backslash" })]
    public void Install_command_lines_become_runs_of_their_own_unless_they_continue(string install, string[] expected)
    {
        Assert.Equal(expected, DockerfileGenerator.InstallCommands(install));
    }
}
