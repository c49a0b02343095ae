using System.Runtime.ExceptionServices;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Reporting;
using AgentSandbox.Run;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Task = System.Threading.Tasks.Task;

namespace AgentSandbox.Tasks;

/// <summary>Runs the agent in the sandbox image against the project, reports what it did, writes result.json.</summary>
public sealed class RunAgent : AgentRunTask
{
    [Required] public string ImageTag { get; set; } = "";
    [Required] public string ResultPath { get; set; } = "";
    public string? DockerHost { get; set; }

    /// <summary>Each file the agent changed, added or deleted; metadata Change (modified/added/deleted) and RelativePath.</summary>
    [Output] public ITaskItem[] ChangedFiles { get; private set; } = [];

    protected override async Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        // An old result must never pass for this run's, whatever stops this run.
        if (File.Exists(ResultPath))
        {
            File.Delete(ResultPath);
        }
        var spec = CreateSpec().Spec;
        if (spec.User.IsRoot)
        {
            log.Warn(Diagnostics.RunningAsRoot(spec.Agent.DisplayName));
        }
        using var engine = DockerEngine.Connect(DockerHost);
        var result = await AgentRunner.Default.RunAsync(spec, ImageTag, engine, log, cancellationToken).ConfigureAwait(false);

        RunReport.WriteJson(result, ResultPath);
        ChangedFiles = result.ChangedFiles.Select(file => (ITaskItem)new TaskItem(Path.Combine(spec.ProjectDirectory, file.Path), new Dictionary<string, string>
        {
            ["Change"] = file.Change.ToString().ToLowerInvariant(),
            ["RelativePath"] = file.Path,
        })).ToArray();
        if (result.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
        if (result.Success && result.NumTurns is null)
        {
            log.Warn(Diagnostics.NoResultEvent(spec.Agent.DisplayName));
        }
        if (RunReport.Report(result, spec.Agent, ResultPath, log) is { } error)
        {
            throw error;
        }
    }
}
