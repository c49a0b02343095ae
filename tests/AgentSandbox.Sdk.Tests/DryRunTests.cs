using AgentSandbox.Image;
using AgentSandbox.Pipeline;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentDryRun: the docker commands equivalent to a run, with every option and no secret value.</summary>
public sealed class DryRunTests
{
    private static IReadOnlyList<string> Commands(string mode) =>
        AgentTargetPipeline.DryRun(Specs.Create(Specs.Run(Specs.SomeProjectDirectory) with
        {
            WorkspaceMode = mode, MemoryLimit = "2g", CpuLimit = "1.5", Runtime = "runsc", Network = "none", BaseImage = "base:1",
        }).Spec, "/ctx");

    [Fact]
    public void Copy_mode_is_create_copy_in_start_copy_out_remove_with_every_option_and_variables_by_name()
    {
        var commands = Commands("copy");

        Assert.Equal(6, commands.Count);
        Assert.StartsWith("docker build -f /ctx/Dockerfile -t 'agentsandbox:<hash", commands[0]);
        Assert.StartsWith("docker create --name agentsandbox-agentrun-agent-", commands[1]);
        foreach (var option in new[] { "--network none", "--cap-drop ALL", "--security-opt no-new-privileges", "--pids-limit 4096", "--init",
            "--memory 2147483648 --memory-swap 2147483648", "--cpus 1.5", "--runtime runsc", "--env ANTHROPIC_API_KEY", "--label org.agentsandbox.run=test-run" })
        {
            Assert.Contains(option, commands[1]);
        }
        Assert.DoesNotContain("sk-fake-key", string.Join("\n", commands));
        // Nothing of the host: the package cache is the engine's volume.
        Assert.DoesNotContain("type=bind", commands[1]);
        Assert.Contains("--mount 'type=volume,source=agentsandbox-nuget-", commands[1]);
        Assert.StartsWith("docker cp - agentsandbox-agentrun-agent-", commands[2]);
        Assert.StartsWith("docker start --attach", commands[3]);
        Assert.EndsWith(":/workspace - > returned.tar", commands[4]);
        Assert.StartsWith("docker rm --force --volumes", commands[5]);
    }

    [Fact]
    public void Mount_mode_is_one_docker_run_with_the_workspace_mounted()
    {
        var commands = Commands("mount");

        Assert.Equal(2, commands.Count);
        Assert.StartsWith("docker run --rm ", commands[1]);
        Assert.Contains($"--mount 'type=bind,source={Specs.SomeProjectDirectory},target=/workspace' ", commands[1]);
    }
}
