using System.Diagnostics;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
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
        context.Before = WorkspaceSnapshot.Take(context.Spec.WorkspaceRoot);
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
        SandboxContainer.Create(context.Spec, context.ImageTag, "agent", context.Spec.Command, context.Spec.Environment.ToDockerEnv(), context.Spec.Preset.ReadOnlyWorkspace);
}

public sealed class DetectChangesStep : IAgentRunStep
{
    public bool AlwaysRuns => true;

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Before is { } before)
        {
            context.ChangedFiles = before.ChangesTo(WorkspaceSnapshot.Take(context.Spec.WorkspaceRoot));
        }
        return Task.CompletedTask;
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
            var finalText = context.Outcome?.FinalText;
            context.Findings = ReviewFindingParser.Parse(string.Join("\n", context.Messages.Append(finalText ?? "")));
        }
        return Task.CompletedTask;
    }
}
