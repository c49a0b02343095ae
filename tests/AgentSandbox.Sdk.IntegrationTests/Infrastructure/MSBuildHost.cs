using System.Runtime.CompilerServices;
using Microsoft.Build.Evaluation;
using Microsoft.Build.Execution;
using Microsoft.Build.Framework;
using Microsoft.Build.Locator;

namespace AgentSandbox.Sdk.IntegrationTests.Infrastructure;

/// <summary>Everything a build said, and the items it produced.</summary>
public sealed record BuildRun(
    bool Succeeded,
    IReadOnlyList<(MessageImportance Importance, string Text)> Messages,
    IReadOnlyList<(string Code, string Text, string File, int Line)> Warnings,
    IReadOnlyList<(string Code, string Text, string File, int Line)> Errors,
    IReadOnlyList<ITaskItem> ChangedFiles,
    ProjectInstance? StateAfterBuild)
{
    /// <summary>The items of a type as they were when the build ended (AgentResult, AgentChangedFile).</summary>
    public IReadOnlyList<ProjectItemInstance> Items(string itemType) => StateAfterBuild?.GetItems(itemType).ToList() ?? [];

    /// <summary>Each line of every message: a run's summary is one message, its changed files on lines of their own.</summary>
    public IReadOnlyList<string> MessageLines => Messages.SelectMany(m => m.Text.Split('\n')).ToList();

    /// <summary>Every line of the log, as one text to search.</summary>
    public string Log => string.Join("\n", Messages.Select(m => m.Text).Concat(Warnings.Select(w => $"warning {w.Code}: {w.Text}")).Concat(Errors.Select(e => $"error {e.Code}: {e.Text}")));

    public override string ToString() => Log;
}

/// <summary>Runs MSBuild in this process (MSBuild Locator: the SDK's own MSBuild) with a logger that keeps every event.</summary>
public static class MSBuildHost
{
    [ModuleInitializer]
    internal static void RegisterMSBuild()
    {
        if (!MSBuildLocator.IsRegistered)
        {
            MSBuildLocator.RegisterDefaults();
        }
    }

    // One build at a time: BuildManager is process-wide and tasks read the process environment.
    private static readonly object Gate = new();

    /// <param name="target">A target, or several separated by ';' as on the command line (-t:A;B); items come from the last.</param>
    public static BuildRun Build(string projectPath, string target, IDictionary<string, string>? properties = null)
    {
        lock (Gate)
        {
            var logger = new CapturingLogger();
            using var collection = new ProjectCollection();
            var parameters = new BuildParameters(collection)
            {
                Loggers = [logger],
                EnableNodeReuse = false,
                MaxNodeCount = 1,
                DisableInProcNode = false,
            };
            var request = new BuildRequestData(projectPath, (properties ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => (string?)p.Value), null, target.Split(';'), null,
                BuildRequestDataFlags.ProvideProjectStateAfterBuild);
            var result = BuildManager.DefaultBuildManager.Build(parameters, request);
            var changed = result.ResultsByTarget.TryGetValue(target.Split(';')[^1], out var targetResult)
                ? targetResult.Items.ToList()
                : [];
            return new BuildRun(result.OverallResult == BuildResultCode.Success, logger.Messages, logger.Warnings, logger.Errors, changed, result.ProjectStateAfterBuild);
        }
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<(MessageImportance, string)> Messages { get; } = [];
        public List<(string, string, string, int)> Warnings { get; } = [];
        public List<(string, string, string, int)> Errors { get; } = [];

        public LoggerVerbosity Verbosity { get; set; } = LoggerVerbosity.Diagnostic;
        public string? Parameters { get; set; }

        public void Initialize(IEventSource eventSource)
        {
            eventSource.MessageRaised += (_, e) => { lock (Messages) Messages.Add((e.Importance, e.Message ?? "")); };
            eventSource.WarningRaised += (_, e) => { lock (Messages) Warnings.Add((e.Code ?? "", e.Message ?? "", e.File ?? "", e.LineNumber)); };
            eventSource.ErrorRaised += (_, e) => { lock (Messages) Errors.Add((e.Code ?? "", e.Message ?? "", e.File ?? "", e.LineNumber)); };
        }

        public void Shutdown()
        {
        }
    }
}
