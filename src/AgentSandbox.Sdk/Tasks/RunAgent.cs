using System.Globalization;
using System.Runtime.ExceptionServices;
using AgentSandbox.Common;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Inputs;
using AgentSandbox.Kubernetes;
using AgentSandbox.Logging;
using AgentSandbox.Pipeline;
using AgentSandbox.Reporting;
using AgentSandbox.Run;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Task = System.Threading.Tasks.Task;

namespace AgentSandbox.Tasks;

/// <summary>
/// Runs an agent target: resolves its inputs once (a bad input or a missing key fails before anything is built),
/// makes sure the image exists, runs the agent in the sandbox, reports, and returns the result as items.
/// </summary>
public sealed partial class RunAgent : SandboxImageTask
{
    private protected override async Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        var (spec, warnings) = Resolve(ImageInputs() with
        {
            BuildNetwork = BuildNetwork,
            Target = Target,
            Prompt = Prompt,
            PromptFile = PromptFile,
            Model = Model,
            MaxTurns = MaxTurns,
            MaxBudgetUsd = MaxBudgetUsd,
            ExtraArguments = ExtraArguments,
            Network = Network,
            ImageRegistry = ImageRegistry,
            KubernetesSecret = KubernetesSecret,
            EnvironmentVariables = EnvironmentVariables,
            BuildEnvironmentVariables = BuildEnvironmentVariables,
            WorkspaceRoot = WorkspaceRoot,
            BuildInputs = Lists.Split(BuildInputs),
            SolutionFile = SolutionFile,
            WorkspaceMode = WorkspaceMode,
            ProtectedPaths = Lists.Split(ProtectedPaths),
            AllowProtectedChanges = AllowProtectedChanges,
            CheckpointsToKeep = CheckpointsToKeep,
            MemoryLimit = MemoryLimit,
            ExtraMounts = (ExtraMounts ?? []).Select(item => (item.ItemSpec, (string?)item.GetMetadata("ContainerPath"), (string?)item.GetMetadata("ReadOnly"))).ToList(),
            Runtime = Runtime,
            RuntimeFallback = RuntimeFallback,
            CpuLimit = CpuLimit,
            TmpSize = TmpSize,
            Timeout = Timeout,
            Workspace = Workspace,
            ReadOnlyRootFilesystem = ReadOnlyRootFilesystem,
            AllowedHosts = (AllowedHosts ?? []).Select(item => item.ItemSpec).ToList(),
            EgressNetwork = EgressNetwork,
            Credentials = (Credentials ?? []).Select(item => new CredentialInput(item.ItemSpec, item.GetMetadata("Host"), item.GetMetadata("Header"), item.GetMetadata("Format"), item.GetMetadata("BaseUrlVariable"))).ToList(),
            Verify = Verify,
            MaxIterations = MaxIterations,
            ReviewFailOn = ReviewFailOn,
            RefactorScope = RefactorScope,
            TestScope = TestScope,
            TestProjects = Lists.Split(TestProjects),
            PackageCache = PackageCache,
            Resume = Resume,
            Force = Force,
            SessionId = SessionId,
            SessionsToKeep = SessionsToKeep,
            SolutionProjectsWithoutPackage = Lists.Split(SolutionProjectsWithoutPackage),
            ReviewScope = ReviewScope,
        }, cancellationToken);
        foreach (var warning in warnings)
        {
            log.Warn(warning);
        }
        var context = WriteContext(spec, log, important: DryRun);
        if (DryRun)
        {
            // Inputs checked and the build context written, as for a real run; nothing built, run or written besides.
            log.Important(string.Join("\n", Pipeline.AgentTargetPipeline.DryRun(spec, Path.GetFullPath(ContextDirectory)).Select(command => "  " + command)
                .Prepend($"{spec.Run!.Label}: dry run (AgentDryRun): nothing was built or run. The engine would be asked for the equivalent of:")));
            return;
        }
        ResultPath = Path.Combine(Path.GetFullPath(SandboxDirectory), Target, "result.json");
        var engine = DockerEngine.Connect(DockerHost);
        // The image is built on the Docker engine either way; on a cluster, its pods run it.
        using var cluster = spec.Run!.Cluster is { } kubernetes ? KubernetesEngine.Connect(kubernetes.Namespace, kubernetes.Context) : null;
        var timeout = spec.Run!.Timeout;
        using var clock = new Timer(_ => Stop(() => Diagnostics.TimedOut(Text.Duration(timeout))), null, timeout, System.Threading.Timeout.InfiniteTimeSpan);
        YieldNodeWhileWaiting();
        var outcome = await new AgentTargetPipeline(engine, (IContainerEngine?)cluster ?? engine, log).RunAsync(spec, context, ResultPath, cancellationToken, Stopped).ConfigureAwait(false);

        // MSBuild's "Project -> output" line: the terminal logger shows it on the project's line, which at its
        // default verbosity is all it shows of a successful run.
        log.Important($"{ProjectName} -> {ResultPath} ({RunReport.Outcome(outcome.Result, namedFiles: 5)})");
        ImageTag = outcome.Result.Image;
        Result = ResultItem(outcome.Result);
        ChangedFiles = outcome.Result.ChangedFiles.Select(file => Item(SandboxPaths.OnHost(spec.Run!.WorkspaceRoot, file.Path) ?? Path.Combine(spec.Run!.WorkspaceRoot, file.Path), new Dictionary<string, string>
        {
            ["Change"] = file.Change.ToString().ToLowerInvariant(),
            ["RelativePath"] = file.Path,
        })).ToArray();
        if (outcome.Error is not null)
        {
            ExceptionDispatchInfo.Throw(outcome.Error);
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
        return Item(ResultPath, new Dictionary<string, string>
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
