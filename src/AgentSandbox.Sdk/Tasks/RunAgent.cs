using System.Globalization;
using System.Runtime.ExceptionServices;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Presets;
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

    /// <summary>The run's result.json, with the normalized result as metadata (Success, ExitCode, Turns, CostUsd, …).</summary>
    [Output] public ITaskItem? Result { get; private set; }

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
        var result = await PresetRunner.RunAsync(spec, ImageTag, engine, log, cancellationToken).ConfigureAwait(false);

        RunReport.WriteJson(result, ResultPath);
        StepSummary.AppendIfRequested(result, spec, Environment.GetEnvironmentVariable);
        Result = ResultItem(result);
        ChangedFiles = result.ChangedFiles.Select(file => Item(RunReport.HostPath(spec.WorkspaceRoot, file.Path)!, new Dictionary<string, string>
        {
            ["Change"] = file.Change.ToString().ToLowerInvariant(),
            ["RelativePath"] = file.Path,
        })).ToArray();
        if (result.AgentSucceeded && !result.ReportedOutcome && spec.Agent.PrintsResultEvent(spec.Invocation.Version))
        {
            log.Warn(Diagnostics.NoResultEvent(spec.Agent.DisplayName));
        }
        // Reported also when the run then failed: what the agent changed must be seen either way.
        var error = RunReport.Report(result, spec, ResultPath, log);
        if (result.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>
    /// An item whose spec and metadata are taken literally: MSBuild would read %xx in a file name or the agent's text
    /// as an escape, and ; in the spec as a list separator.
    /// </summary>
    private static ITaskItem Item(string spec, Dictionary<string, string> metadata)
    {
        var item = new TaskItem(EscapeSpec(spec));
        foreach (var (name, value) in metadata)
        {
            ((ITaskItem2)item).SetMetadataValueLiteral(name, value);
        }
        return item;
    }

    private static string EscapeSpec(string value)
    {
        var escaped = new System.Text.StringBuilder(value.Length);
        foreach (var c in value)
        {
            escaped.Append(c is '%' or '*' or '?' or '@' or '$' or '(' or ')' or ';' or '\'' ? $"%{(int)c:X2}" : c);
        }
        return escaped.ToString();
    }

    private ITaskItem ResultItem(AgentRunResult result)
    {
        static string Text(object? value) => value switch
        {
            null => "",
            bool flag => flag ? "true" : "false",
            IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        return Item(Path.GetFullPath(ResultPath), new Dictionary<string, string>
        {
            ["TargetName"] = result.Target,
            ["Agent"] = result.Agent,
            ["AgentVersion"] = result.AgentVersion,
            ["Success"] = Text(result.Success),
            ["ExitCode"] = Text(result.ExitCode),
            ["Turns"] = Text(result.NumTurns),
            ["DurationMs"] = Text(result.DurationMs),
            ["InputTokens"] = Text(result.InputTokens),
            ["OutputTokens"] = Text(result.OutputTokens),
            ["CostUsd"] = Text(result.CostUsd),
            ["FinalText"] = result.FinalText ?? "",
            ["ChangedFiles"] = string.Join(";", result.ChangedFiles.Select(file => file.Path)),
            ["PermissionDenials"] = Text(result.PermissionDenials),
            ["Findings"] = Text(result.Findings?.Count),
            ["Iterations"] = Text(result.Iterations?.Count),
            ["Verification"] = result.Verification is { } v ? (v.Succeeded ? "passed" : "failed") : "",
        });
    }
}
