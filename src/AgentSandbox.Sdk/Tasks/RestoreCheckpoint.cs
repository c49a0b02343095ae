using System.Text.RegularExpressions;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Workspace;

namespace AgentSandbox.Tasks;

/// <summary>AgentRestore: puts the workspace back as a checkpoint recorded it, deletions and additions undone.</summary>
public sealed partial class RestoreCheckpoint : AgentSandboxTask
{
    /// <summary>AgentCheckpoint: the checkpoint's id, as the run printed it and result.json records it.</summary>
    public string? Checkpoint { get; set; }


    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex Id();

    private protected override Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        var id = Checkpoint?.Trim() ?? "";
        var project = Path.GetDirectoryName(Path.GetFullPath(ProjectFile ?? "."))!;
        // This project's: its folder lies in the checkpoint's workspace.
        var checkpoint = (Id().IsMatch(id) ? Workspace.Checkpoint.Find(id) : null) is { } found
            && Common.SandboxPaths.IsWithin(found.WorkspaceRoot, project)
                ? found
                : throw Diagnostics.CheckpointNotFound(id, Workspace.Checkpoint.DefaultDirectory);
        var (written, removed) = checkpoint.Restore();
        log.Important($"AgentRestore: {checkpoint.WorkspaceRoot} is back as checkpoint {checkpoint.Id} left it: {Common.Text.Count(written, "file")} written, {Common.Text.Count(removed, "file")} the checkpoint did not have removed.");
        return Task.CompletedTask;
    }
}
