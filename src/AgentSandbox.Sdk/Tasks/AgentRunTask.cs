using AgentSandbox.Logging;
using AgentSandbox.Project;
using AgentSandbox.Spec;
using Microsoft.Build.Framework;

namespace AgentSandbox.Tasks;

/// <summary>The inputs every agent run takes, and their translation into a validated <see cref="AgentRunSpec"/>.</summary>
public abstract class AgentRunTask : AgentSandboxTask
{
    [Required] public string ProjectDirectory { get; set; } = "";

    /// <summary>
    /// The run's settings as metadata of one item whose spec is the target's name (AgentRun, AgentFix, …): every
    /// run task takes the same settings, written once in the targets. Lists stay ;-separated strings in metadata,
    /// where `*` and `?` survive.
    /// </summary>
    [Required] public ITaskItem Settings { get; set; } = null!;

    protected (AgentRunSpec Spec, IReadOnlyList<Errors.Warning> Warnings) CreateSpec()
    {
        string? Setting(string name) => Settings.GetMetadata(name) is { Length: > 0 } value ? value : null;
        var inputs = new AgentRunInputs(Settings.ItemSpec, Path.GetFullPath(ProjectDirectory), Setting("Prompt"), Setting("PromptFile"),
            Setting("AgentKind"), Setting("AgentVersion"), Setting("Model"), Setting("MaxTurns"), Setting("ExtraArguments"), Setting("Network"),
            Setting("EnvironmentVariables"), Setting("MaxBudgetUsd"), Setting("AgentCommand"), Setting("AgentInstallCommand"),
            Setting("Preset"), Setting("Scope"), Setting("Verify"), Setting("MaxIterations"), Setting("ReviewFailOn"), ProjectFile,
            Setting("BuildEnvironmentVariables"), Setting("WorkspaceRoot"));
        return AgentRunSpecFactory.Create(inputs, Environment.GetEnvironmentVariable, HostUser.Resolve(Setting("User")));
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
