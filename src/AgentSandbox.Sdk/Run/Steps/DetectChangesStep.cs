using AgentSandbox.Workspace;

namespace AgentSandbox.Run.Steps;

/// <summary>What the agent changed: its copy compared with the tree copied in, or the mounted workspace with its snapshot.</summary>
internal sealed class DetectChangesStep : IAgentRunStep
{
    public bool AlwaysRuns => true;

    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Copy is { } copy)
        {
            try
            {
                context.Changeset = copy.Changes();
                context.ChangedFiles = context.Changeset.Files;
            }
            catch (WorkspaceNotReturnedException exception)
            {
                throw Errors.Diagnostics.WorkspaceCopyFailed("out of", exception.Message);
            }
            catch (Exception exception) when (exception is InvalidDataException or FormatException or EndOfStreamException)
            {
                // The container's tar packs what the agent left (and the agent may have replaced it); what no reader can take back (a name with a line break in its
                // tar header, say) is the agent's doing, and refused like any name the host cannot take.
                context.Refusals.Add(new ChangeRefusal(RefusalKind.Name, $"(an entry that cannot be read back: {exception.Message.TrimEnd('.')})"));
            }
        }
        else if (context.Before is { } before)
        {
            context.After = WorkspaceSnapshot.Take(context.Spec.WorkspaceRoot, earlier: before);
            context.ChangedFiles = before.ChangesTo(context.After);
        }
        return Task.CompletedTask;
    }
}
