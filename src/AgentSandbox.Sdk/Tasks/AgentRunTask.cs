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

    /// <summary>;-separated, as the property was written (not an item: `*` and `?` must survive).</summary>
    public string? ExtraArguments { get; set; }
    public string? Network { get; set; }

    /// <summary>;-separated NAME or NAME=value entries.</summary>
    public string? EnvironmentVariables { get; set; }
    public string? User { get; set; }
    public string? MaxBudgetUsd { get; set; }

    /// <summary>;-separated argument list of a custom agent (AgentKind custom).</summary>
    public string? AgentCommand { get; set; }
    public string? AgentInstallCommand { get; set; }

    /// <summary>Run (AgentRun), Refactor, Test, Fix or Review.</summary>
    public string? Preset { get; set; }
    public string? Scope { get; set; }
    public string? Verify { get; set; }
    public string? MaxIterations { get; set; }
    public string? ReviewFailOn { get; set; }

    protected (AgentRunSpec Spec, IReadOnlyList<Errors.Warning> Warnings) CreateSpec()
    {
        var inputs = new AgentRunInputs(TargetName, Path.GetFullPath(ProjectDirectory), Prompt, PromptFile, AgentKind, AgentVersion,
            Model, MaxTurns, ExtraArguments, Network, EnvironmentVariables, MaxBudgetUsd, AgentCommand, AgentInstallCommand,
            Preset, Scope, Verify, MaxIterations, ReviewFailOn, ProjectFile);
        return AgentRunSpecFactory.Create(inputs, Environment.GetEnvironmentVariable, HostUser.Resolve(User));
    }
}

/// <summary>
/// Checks a run's inputs before anything is built, so that a missing prompt or key fails in a second, not after an
/// image build; it also gives the input warnings, which the run itself does not repeat.
/// </summary>
public sealed class ValidateAgentRun : AgentRunTask
{
    protected override Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        foreach (var warning in CreateSpec().Warnings)
        {
            log.Warn(warning);
        }
        return Task.CompletedTask;
    }
}
