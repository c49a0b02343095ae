using AgentSandbox.Containers;
using AgentSandbox.Errors;
using AgentSandbox.Inputs;
using AgentSandbox.Pipeline;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>A prompt too long for one argument reaches the CLIs that read standard input there, and is a coded error for the others.</summary>
public sealed class LongPromptTests
{
    private static readonly string Long = string.Concat(Enumerable.Repeat("Keep $(whoami), 'quotes' and \"doubles\".\n", 5000));

    [Fact]
    public void Claude_Code_gets_a_long_prompt_on_standard_input_and_not_on_its_command_line()
    {
        var spec = Specs.RunSpec(Specs.Run(Specs.SomeProjectDirectory, Long));

        Assert.True(spec.Invocation.PromptOnStdin);
        Assert.DoesNotContain(spec.Command, argument => argument.Contains("whoami", StringComparison.Ordinal));
        Assert.Equal("--verbose", spec.Command[^1]);
        var request = SandboxContainer.Create(spec, "image", "agent", spec.Command, spec.Environment, false, stdin: spec.Invocation.Prompt);
        Assert.Equal(Long.Trim(), request.Stdin);
        Assert.True(TestSupport.EngineModels.Container(Docker.DockerEngine.CreateParameters(request)).OpenStdin);
    }

    [Fact]
    public void Codex_reads_it_from_standard_input_by_its_dash_argument()
    {
        var spec = Specs.RunSpec(Specs.Run(Specs.SomeProjectDirectory, Long) with { AgentKind = "codex" });

        Assert.Equal(["--", "-"], spec.Command.TakeLast(2));
    }

    [Fact]
    public void A_short_prompt_stays_an_argument()
    {
        var spec = Specs.RunSpec(Specs.Run(Specs.SomeProjectDirectory, "Do it"));

        Assert.False(spec.Invocation.PromptOnStdin);
        Assert.Equal(["--", "Do it"], spec.Command.TakeLast(2));
    }

    [Theory]
    [InlineData("gemini")]
    [InlineData("custom")]
    public void A_CLI_without_a_prompt_on_standard_input_is_AGS1015_for_a_long_prompt(string kind)
    {
        var inputs = Specs.Run(Specs.SomeProjectDirectory, Long) with { AgentKind = kind, AgentCommand = kind == "custom" ? "my-agent;{prompt}" : null };

        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(inputs));

        Assert.Equal("AGS1015", error.Code);
        Assert.Contains($"{System.Text.Encoding.UTF8.GetByteCount(Long.Trim()) / 1024} KiB", error.Message);
    }

    [Fact]
    public void The_dry_run_sends_it_from_a_file()
    {
        var commands = AgentTargetPipeline.DryRun(Specs.Create(Specs.Run(Specs.SomeProjectDirectory, Long) with { WorkspaceMode = "mount" }).Spec, "/ctx");

        Assert.Contains(commands, command => command.StartsWith("docker run --rm", StringComparison.Ordinal) && command.EndsWith(" < prompt.txt", StringComparison.Ordinal)
            && command.Contains("--interactive", StringComparison.Ordinal));
        Assert.DoesNotContain(commands, command => command.Contains("whoami", StringComparison.Ordinal));
    }
}
