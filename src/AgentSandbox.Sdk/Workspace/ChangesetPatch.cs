using AgentSandbox.Common;

namespace AgentSandbox.Workspace;

/// <summary>A changeset as a patch that git apply takes from the workspace root (binary files, modes and links included).</summary>
internal static class ChangesetPatch
{
    /// <param name="hostRoot">The user's workspace, which still holds every changed path as it was.</param>
    /// <returns>
    /// The patch of every change a file system can hold (not devices, pipes or hard links, nor names the check refuses,
    /// which are listed in the run's errors); null when the host has no git to make it or the changes cannot be laid out.
    /// </returns>
    public static string? Create(Changeset changes, string hostRoot)
    {
        changes = new Changeset(changes.Entries.Where(entry => entry.Kind != EntryKind.Other && ChangesetCheck.IsPlainName(entry.Path)).ToList(), []);
        var scratch = Directory.CreateTempSubdirectory("agentsandbox-patch-").FullName;
        try
        {
            return Create(changes, hostRoot, scratch);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or Errors.AgentSandboxException)
        {
            // The agent's tree could not be laid out next to the user's (a folder where a file was): no patch, the changes are listed all the same.
            return null;
        }
        finally
        {
            SafeFiles.DeleteTemporaryFolder(scratch);
        }
    }

    private static string? Create(Changeset changes, string hostRoot, string scratch)
    {
        foreach (var entry in changes.Entries.Where(entry => entry.Change != FileChange.Added))
        {
            var source = Path.Combine(hostRoot, entry.Path.Replace('/', Path.DirectorySeparatorChar));
            var copy = Path.Combine(scratch, entry.Path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            if (new FileInfo(source).LinkTarget is { } target)
            {
                File.CreateSymbolicLink(copy, target);
            }
            else if (File.Exists(source))
            {
                File.Copy(source, copy);
            }
        }
        if (GitCommand.Run(scratch, ["init", "-q"]) is not { ExitCode: 0 }
            || GitCommand.Run(scratch, ["add", "-A", "-f"]) is not { ExitCode: 0 }
            || GitCommand.Run(scratch, [.. GitCommand.AsAgentSandbox, "commit", "-q", "--allow-empty", "-m", "before"]) is not { ExitCode: 0 })
        {
            return null;
        }
        ChangesetApply.ApplyTo(changes, scratch);
        return GitCommand.Run(scratch, ["add", "-A", "-f"]) is { ExitCode: 0 }
            && GitCommand.Run(scratch, ["diff", "--cached", "--binary", "--no-color", "--no-ext-diff", "--no-renames", "HEAD"]) is { ExitCode: 0 } diff
                ? diff.Output
                : null;
    }
}
