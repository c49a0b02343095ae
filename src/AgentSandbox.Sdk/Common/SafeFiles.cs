using AgentSandbox.Errors;

namespace AgentSandbox.Common;

/// <summary>
/// Writes AgentSandbox's own files (result.json, the build context, patches) without following a link an agent could
/// have planted where they go: every folder on the way inside the agent's reach must be a folder, not a link, and a
/// file is written under a fresh name and renamed into place, which replaces a link there instead of writing through it.
/// </summary>
internal static class SafeFiles
{
    /// <param name="reach">The folder the agent could write to (the workspace, or the project's folder): folders above it are the user's.</param>
    /// <param name="agentUid">The agent's user when it is not the build's and wrote to the tree (mount mode): a folder it owns is not trusted.</param>
    public static void Write(string path, ReadOnlySpan<byte> content, string reach, uint? agentUid = null)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        CreateDirectory(directory, reach, agentUid);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(content);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Deletes a file of ours; a link in its place is deleted itself, never what it points at.</summary>
    public static void Delete(string path, string reach, uint? agentUid = null)
    {
        var full = Path.GetFullPath(path);
        CheckFolders(Path.GetDirectoryName(full)!, reach, agentUid);
        if (Directory.Exists(Path.GetDirectoryName(full)))
        {
            File.Delete(full);
        }
    }

    /// <summary>Deletes a temporary folder of ours; one that cannot go now is left to the system, which cleans it up eventually.</summary>
    public static void DeleteTemporaryFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Nothing of the user's is in it; a run's outcome matters more than this cleanup.
        }
    }

    /// <summary>Creates a folder and those on the way, refusing a link anywhere inside <paramref name="reach"/>.</summary>
    public static void CreateDirectory(string directory, string reach, uint? agentUid = null)
    {
        CheckFolders(directory, reach, agentUid);
        Directory.CreateDirectory(directory);
    }

    private static void CheckFolders(string directory, string reach, uint? agentUid)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(reach));
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (full == root || !SandboxPaths.IsWithin(root, full))
        {
            return;
        }
        var relative = Path.GetRelativePath(root, full);
        var current = root;
        foreach (var part in relative.Split(Path.DirectorySeparatorChar))
        {
            current = Path.Combine(current, part);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null)
            {
                throw Diagnostics.PlantedLink(current, directory);
            }
            // A folder the agent owns, when it runs as another user than the build's (mount mode with AgentUser), could
            // be swapped for a link between this check and the write.
            if (agentUid is { } agent && info.Exists && Project.HostUser.OwnerOf(current) == agent)
            {
                throw Diagnostics.ForeignFolder(current, agent, directory);
            }
        }
    }
}
