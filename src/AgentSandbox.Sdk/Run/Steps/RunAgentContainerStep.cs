using System.Diagnostics;
using AgentSandbox.Agents;
using AgentSandbox.Common;
using AgentSandbox.Containers;
using AgentSandbox.Spec;

namespace AgentSandbox.Run.Steps;

/// <summary>Runs the agent CLI in a throw-away container, reporting what it does as it does it.</summary>
internal sealed class RunAgentContainerStep : IAgentRunStep
{
    public const string Purpose = "agent";

    public async Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        var spec = context.Spec;
        var parser = spec.Agent.CreateParser(spec.Invocation.Version);
        var log = context.Log;
        var access = spec.Preset.ReadOnlyWorkspace ? "; read-only" : "";
        log.Important($"{spec.Label}: running {spec.Agent.Describe(spec.Invocation.Version)} in {context.ImageTag} (network {DescribeNetwork(spec)}; workspace {spec.Workspace.Describe()}{access}).");
        // Redacted: a gateway URL given as an argument (Codex) may carry a token.
        log.Detail($"Command: {spec.Environment.Redact(Text.CommandLine(spec.Command))}");
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
            using var agentOutput = log.AgentOutput();
            var exit = await context.Engine.RunContainerAsync(
                SandboxContainer.Create(spec, context.ImageTag, Purpose, spec.Command, spec.Environment, spec.Preset.ReadOnlyWorkspace,
                    gitEntries: context.Before?.GitEntries, copy: context.Copy, collect: !spec.Preset.ReadOnlyWorkspace, egress: context.Egress, agentCredentials: true,
                    stdin: spec.Stdin),
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
            (context.ExitCode, context.OutOfMemory, context.Placement) = (exit.Code, exit.OutOfMemory, exit.Placement);
            if (exit.Placement is { } placement)
            {
                log.Important($"{spec.Label}: the agent ran in {placement}.");
            }
        }
        finally
        {
            context.Elapsed = stopwatch.Elapsed;
            context.Egress.Report(spec.Label, log);
        }
    }

    /// <summary>allowlist, with what it lets through; the other modes by name.</summary>
    private static string DescribeNetwork(AgentRunSpec spec) => spec.Egress is { } egress
        ? $"allowlist: {string.Join(", ", egress.Apis.Select(api => new Uri(api.Upstream).Host + " (credential added by the proxy)").Concat(egress.AllowedHosts).DefaultIfEmpty("nothing"))}"
        : spec.Network;

    /// <summary>
    /// What the agent says and does, in the build's log as it happens; past <see cref="AgentRunContext.ShownLines"/>
    /// lines, in the detailed log only: a build's loggers hold what waits to be written, and an agent can print without end.
    /// </summary>
    private static void Show(AgentRunContext context, string line, bool important)
    {
        // A line of megabytes is no message to read in a build log: its beginning is, and the rest is in the detailed log.
        if (line.Length > AgentRunContext.ShownLineLength)
        {
            line = $"{line[..AgentRunContext.ShownLineLength]} … ({line.Length - AgentRunContext.ShownLineLength} more characters with -v:detailed)";
        }
        var shown = ++context.Shown;
        if (shown == AgentRunContext.ShownLines + 1)
        {
            context.Log.Important($"{context.Spec.Label}: the agent has printed more than {AgentRunContext.ShownLines} lines; the rest appear with -v:detailed only.");
        }
        if (shown > AgentRunContext.ShownLines)
        {
            context.Log.Detail(line);
        }
        else if (important)
        {
            context.Log.Important(line);
        }
        else
        {
            context.Log.Info(line);
        }
    }

    private static void Report(AgentRunContext context, AgentEvent agentEvent, CancellationTokenSource stop)
    {
        switch (agentEvent)
        {
            case AgentMessage message:
                context.Said(message.Text);
                context.RememberOutput(message.Text);
                Show(context, $"{context.Spec.Agent.Kind}: {message.Text}", important: true);
                break;
            case AgentToolCall call:
                Show(context, $"  {call.Description}", important: false);
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
            case AgentSessionStarted session:
                context.SessionId = session.Id;
                break;
        }
    }
}
