namespace AgentSandbox.Workspace;

internal enum FileChange
{
    Modified,
    Added,
    Deleted,
}

/// <param name="Path">Relative to the workspace root, with forward slashes.</param>
internal sealed record ChangedFile(string Path, FileChange Change);
