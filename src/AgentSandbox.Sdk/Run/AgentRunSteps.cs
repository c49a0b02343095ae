using System.Diagnostics;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Presets;
using AgentSandbox.Review;
using AgentSandbox.Spec;
using AgentSandbox.Verification;
using Docker.DotNet.Models;

namespace AgentSandbox.Run;

/// <summary>One step of a run. Later steps (egress proxy, checkpoints, workspace copies) slot in as more of these.</summary>
public interface IAgentRunStep
{
    /// <summary>True for steps that run also after an earlier step failed, like a finally block.</summary>
    bool AlwaysRuns => false;

    Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken);
}

/// <summary>A named network must exist before the container is created, or the engine's error is obscure.</summary>
public sealed class CheckNetworkStep : IAgentRunStep
{
    private static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.Ordinal) { "bridge", "host", "none" };

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken) =>
        EnsureAsync(context.Spec, context.Engine, cancellationToken);

    public static async Task EnsureAsync(AgentRunSpec spec, Docker.DockerEngine engine, CancellationToken cancellationToken)
    {
        if (!BuiltIn.Contains(spec.Network) && !await engine.NetworkExistsAsync(spec.Network, cancellationToken).ConfigureAwait(false))
        {
            throw Diagnostics.NetworkNotFound(spec.Network);
        }
    }
}

public sealed class SnapshotBeforeStep : IAgentRunStep
{
    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        context.Before ??= WorkspaceSnapshot.Take(context.Spec.WorkspaceRoot);
        return Task.CompletedTask;
    }
}

/// <summary>Runs the agent CLI in a throw-away container, reporting what it does as it does it.</summary>
public sealed class RunAgentContainerStep : IAgentRunStep
{
    public async Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        var spec = context.Spec;
        var parser = spec.Agent.CreateParser(spec.Invocation.Version);
        var log = context.Log;
        var workspace = spec.Preset.ReadOnlyWorkspace ? ", project read-only" : "";
        log.Important($"{spec.TargetName}: running {spec.Agent.Describe(spec.Invocation.Version)} in {context.ImageTag} (network {spec.Network}{workspace}).");
        // Redacted: a gateway URL given as an argument (Codex) may carry a token.
        log.Detail($"Command: {spec.Environment.Redact(string.Join(" ", spec.Command.Select(Quote)))}");
        log.Detail($"Environment: {spec.Environment}");

        // Whatever the agent printed (tool results too) may echo a credential: it is masked before anything keeps it.
        string Logged(string line)
        {
            line = spec.Environment.Redact(line);
            log.Detail(line);
            return line;
        }

        using var stop = new CancellationTokenSource();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            context.ExitCode = await context.Engine.RunContainerAsync(
                CreateParameters(context),
                onStdout: line =>
                {
                    foreach (var agentEvent in parser.ParseLine(Logged(line)))
                    {
                        Report(context, agentEvent, stop);
                    }
                },
                onStderr: line => context.RememberOutput(Logged(line)),
                stop.Token,
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            context.Elapsed = stopwatch.Elapsed;
        }
    }

    /// <summary>For reading the command in a log only: it is never run through a shell.</summary>
    internal static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=@".Contains(c)) ? argument : $"'{argument.Replace("'", "'\\''")}'";

    private static void Report(AgentRunContext context, AgentEvent agentEvent, CancellationTokenSource stop)
    {
        switch (agentEvent)
        {
            case AgentMessage message:
                context.Messages.Add(message.Text);
                context.RememberOutput(message.Text);
                context.Log.Important($"{context.Spec.Agent.Kind}: {message.Text}");
                break;
            case AgentToolCall call:
                context.Log.Info($"  {call.Description}");
                break;
            case AgentNotice notice:
                // Shown at minimal verbosity: a retrying CLI is otherwise minutes of silence.
                context.RememberOutput(notice.Text);
                context.Log.Important($"{context.Spec.Agent.Kind}: ({notice.Text})");
                break;
            case AgentCredentialRejected rejected when context.CredentialRejected is null:
                // A refused key stays refused: stop now instead of watching minutes of retries.
                context.CredentialRejected = rejected.Status;
                stop.Cancel();
                break;
            case AgentFinished finished:
                context.Outcome = finished.Outcome;
                break;
        }
    }

    private static CreateContainerParameters CreateParameters(AgentRunContext context) =>
        SandboxContainer.Create(context.Spec, context.ImageTag, "agent", context.Spec.Command, context.Spec.Environment.ToDockerEnv(), context.Spec.Preset.ReadOnlyWorkspace,
            gitEntries: context.Before?.GitEntries);
}

public sealed class DetectChangesStep : IAgentRunStep
{
    public bool AlwaysRuns => true;

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Before is { } before)
        {
            context.After = WorkspaceSnapshot.Take(context.Spec.WorkspaceRoot);
            context.ChangedFiles = before.ChangesTo(context.After);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// What the agent left that the host would act on without anyone reading it: git metadata it created (git on the
/// host runs a repository's hooks and core.fsmonitor) is renamed out of git's way and fails the run, as do
/// directories it made unreadable (they could hide such metadata); changed build output, which the host's next build
/// may use without compiling, is a warning.
/// </summary>
public sealed class GuardHostStep : IAgentRunStep
{
    public const string QuarantineSuffix = ".quarantined-by-agentsandbox";

    public bool AlwaysRuns => true;

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Before is not { } before || context.After is not { } after)
        {
            return Task.CompletedTask;
        }
        foreach (var entry in before.NewGitEntries(after))
        {
            context.PlantedGitMetadata.Add(Quarantine(context.Spec.WorkspaceRoot, entry));
        }
        context.PlantedGitMetadata.AddRange(before.NewlyUnreadable(after).Select(directory => $"{directory} (made unreadable, so it could not be checked)"));
        if (before.BuildOutputChanges(after) is > 0 and var count)
        {
            context.Log.Warn(Diagnostics.BuildOutputChanged(count));
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Renames a planted .git so that git no longer finds it, keeping it for inspection. A rename never follows a link
    /// and never touches the contents, which may not be the agent's to touch.
    /// </summary>
    /// <returns>What happened, for the error message.</returns>
    public static string Quarantine(string root, string entry)
    {
        var path = Path.Combine(root, entry.Replace('/', Path.DirectorySeparatorChar));
        var target = path + QuarantineSuffix;
        for (var n = 2; Path.Exists(target) || new FileInfo(target).LinkTarget is not null; n++)
        {
            target = $"{path}{QuarantineSuffix}-{n}";
        }
        try
        {
            // rename(2) either way: a link is renamed itself, a directory with its contents untouched.
            if (Directory.Exists(path))
            {
                Directory.Move(path, target);
            }
            else
            {
                File.Move(path, target);
            }
            return $"{entry} (renamed to {Path.GetFileName(target)})";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"{entry} (could not be renamed: {exception.Message.TrimEnd('.')}; delete it before you run git there)";
        }
    }
}

/// <summary>AgentVerify: after a successful agent run, the project must still build (or its tests pass) inside the sandbox.</summary>
public sealed class VerifyStep : IAgentRunStep
{
    public async Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Spec.Preset.Verify != VerifyMode.None && context.AgentSucceeded)
        {
            context.Verification = await SandboxBuild.RunAsync(
                context.Spec, context.ImageTag, context.Engine, context.Spec.Preset.Verify, context.Log, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>AgentReview: the findings in what the agent said.</summary>
public sealed class CollectFindingsStep : IAgentRunStep
{
    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Spec.Preset.Kind == AgentPreset.Review)
        {
            var answer = string.Join("\n", context.Messages.Append(context.Outcome?.FinalText ?? ""));
            context.Findings = ReviewFindingParser.Parse(answer);
            // No findings is a result only when the agent says so: silence or prose is no review.
            context.ReviewUnanswered = context.AgentSucceeded && context.Findings.Count == 0
                && !answer.Contains(PresetPrompts.NoFindings, StringComparison.OrdinalIgnoreCase);
        }
        return Task.CompletedTask;
    }
}
