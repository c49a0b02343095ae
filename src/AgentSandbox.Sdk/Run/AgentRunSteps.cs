using System.Diagnostics;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Spec;
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

    public async Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        var network = context.Spec.Network;
        if (!BuiltIn.Contains(network) && !await context.Engine.NetworkExistsAsync(network, cancellationToken).ConfigureAwait(false))
        {
            throw Diagnostics.NetworkNotFound(network);
        }
    }
}

public sealed class SnapshotBeforeStep : IAgentRunStep
{
    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        context.Before = WorkspaceSnapshot.Take(context.Spec.ProjectDirectory);
        return Task.CompletedTask;
    }
}

/// <summary>Runs the agent CLI in a throw-away container, reporting what it does as it does it.</summary>
public sealed class RunAgentContainerStep : IAgentRunStep
{
    public async Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        var spec = context.Spec;
        var parser = spec.Agent.CreateParser();
        var log = context.Log;
        log.Important($"{spec.TargetName}: running {spec.Agent.DisplayName} {spec.Invocation.Version} in {context.ImageTag} (network {spec.Network}).");
        log.Detail($"Command: {string.Join(" ", spec.Command.Select(Quote))}");
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
    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=@".Contains(c)) ? argument : $"'{argument.Replace("'", "'\\''")}'";

    private static void Report(AgentRunContext context, AgentEvent agentEvent, CancellationTokenSource stop)
    {
        switch (agentEvent)
        {
            case AgentMessage message:
                context.LastMessage = message.Text;
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

    /// <summary>
    /// The project read-write at the workspace path; its .git read-only on top, so that the agent can read history
    /// but not plant hooks or configuration that the host's git would run.
    /// </summary>
    private static List<Mount> Mounts(string projectDirectory)
    {
        var mounts = new List<Mount> { new() { Type = "bind", Source = projectDirectory, Target = AgentRunSpec.WorkspacePath } };
        var git = Path.Combine(projectDirectory, ".git");
        if (Directory.Exists(git) || File.Exists(git))
        {
            mounts.Add(new Mount { Type = "bind", Source = git, Target = AgentRunSpec.WorkspacePath + "/.git", ReadOnly = true });
        }
        return mounts;
    }

    private static CreateContainerParameters CreateParameters(AgentRunContext context)
    {
        var spec = context.Spec;
        var command = spec.Command;
        return new CreateContainerParameters
        {
            Name = $"agentsandbox-{spec.TargetName.ToLowerInvariant()}-{Guid.NewGuid():N}",
            Image = context.ImageTag,
            // The command is an argument vector end to end: no shell ever sees the prompt.
            Entrypoint = [command[0]],
            Cmd = command.Skip(1).ToList(),
            Env = spec.Environment.ToDockerEnv(),
            WorkingDir = AgentRunSpec.WorkspacePath,
            AttachStdout = true,
            AttachStderr = true,
            Labels = new Dictionary<string, string>
            {
                ["org.agentsandbox.target"] = spec.TargetName,
                ["org.agentsandbox.project"] = spec.ProjectDirectory,
            },
            HostConfig = new HostConfig
            {
                Mounts = Mounts(spec.ProjectDirectory),
                NetworkMode = spec.Network,
                // The agent needs no privileges to edit files and run builds; it gets none.
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges"],
                PidsLimit = 4096,
                Init = true,
            },
        };
    }
}

public sealed class DetectChangesStep : IAgentRunStep
{
    public bool AlwaysRuns => true;

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Before is { } before)
        {
            context.ChangedFiles = before.ChangesTo(WorkspaceSnapshot.Take(context.Spec.ProjectDirectory));
        }
        return Task.CompletedTask;
    }
}
