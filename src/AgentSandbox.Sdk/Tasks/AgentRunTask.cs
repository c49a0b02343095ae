using AgentSandbox.Logging;
using AgentSandbox.Project;
using AgentSandbox.Spec;
using Microsoft.Build.Framework;

namespace AgentSandbox.Tasks;

/// <summary>The inputs every agent run takes, and their translation into a validated <see cref="AgentRunSpec"/>.</summary>
public abstract class AgentRunTask : AgentSandboxTask
{
    [Required] public string TargetName { get; set; } = "";
    [Required] public string ProjectDirectory { get; set; } = "";
    public string? Prompt { get; set; }
    public string? PromptFile { get; set; }
    public string? AgentKind { get; set; }
    public string? AgentVersion { get; set; }
    public string? Model { get; set; }
    public string? MaxTurns { get; set; }
    public ITaskItem[]? ExtraArguments { get; set; }
    public string? Network { get; set; }
    public ITaskItem[]? EnvironmentVariables { get; set; }
    public string? User { get; set; }

    protected AgentRunSpec CreateSpec(ISandboxLog log)
    {
        var inputs = new AgentRunInputs(TargetName, Path.GetFullPath(ProjectDirectory), Prompt, PromptFile, AgentKind, AgentVersion,
            Model, MaxTurns, Specs(ExtraArguments), Network, Specs(EnvironmentVariables));
        var (spec, warnings) = AgentRunSpecFactory.Create(inputs, Environment.GetEnvironmentVariable, HostUser.Resolve(User));
        foreach (var warning in warnings)
        {
            log.Warn(warning);
        }
        return spec;
    }
}

/// <summary>Checks a run's inputs before anything is built, so that a missing prompt or key fails in a second, not after an image build.</summary>
public sealed class ValidateAgentRun : AgentRunTask
{
    protected override Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        CreateSpec(log);
        return Task.CompletedTask;
    }
}
