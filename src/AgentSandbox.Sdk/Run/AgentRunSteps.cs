using System.Diagnostics;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Spec;
using Docker.DotNet.Models;

namespace AgentSandbox.Run;

/// <summary>One step of a run. Later steps (egress proxy, checkpoints, workspace copies) slot in as more of these.</summary>
public interface IAgentRunStep
{
    Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken);
}

/// <summary>A named network must exist before the container is created, or the engine's error is obscure.</summary>
public sealed class CheckNetworkStep : IAgentRunStep
{
    private static readonly IReadOnlySet<string> BuiltIn = new HashSet<string>(StringComparer.Ordinal) { "bridge", "host", "none", "default" };

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

        var stopwatch = Stopwatch.StartNew();
        context.ExitCode = await context.Engine.RunContainerAsync(
            CreateParameters(context),
            onStdout: line =>
            {
                log.Detail(line);
                foreach (var agentEvent in parser.ParseLine(line))
                {
                    Report(context, agentEvent);
                }
            },
            onStderr: line =>
            {
                log.Detail(line);
                context.RememberOutput(line);
            },
            cancellationToken).ConfigureAwait(false);
        context.Elapsed = stopwatch.Elapsed;
    }

    private static void Report(AgentRunContext context, AgentEvent agentEvent)
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
            case AgentFinished finished:
                context.Outcome = finished.Outcome;
                break;
        }
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
                Binds = [$"{spec.ProjectDirectory}:{AgentRunSpec.WorkspacePath}:rw"],
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
    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Before is { } before)
        {
            context.ChangedFiles = before.ChangesTo(WorkspaceSnapshot.Take(context.Spec.ProjectDirectory));
        }
        return Task.CompletedTask;
    }
}
