using AgentSandbox.Common;

namespace AgentSandbox.Workspace;

/// <summary>Puts a checked changeset into a tree: each file written under a fresh name and renamed into place, links made as links.</summary>
internal static class ChangesetApply
{
    private const UnixFileMode Executable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// Paths the user's tree no longer holds as they were copied in (edited, added or deleted during the run): the
    /// agent's changes were made against something else, and applying them would overwrite the user's.
    /// </summary>
    public static IReadOnlyList<string> Conflicts(Changeset changes, IReadOnlyDictionary<string, TreeEntry> before, string root)
    {
        var conflicts = new List<string>();
        foreach (var entry in changes.Entries)
        {
            var path = Path.Combine(root, entry.Path.Replace('/', Path.DirectorySeparatorChar));
            var info = new FileInfo(path);
            var now = info.LinkTarget is { } target ? new TreeEntry(entry.Path, IsLink: true, target, false)
                : info.Exists ? new TreeEntry(entry.Path, IsLink: false, Digest(path), false)
                : null;
            before.TryGetValue(entry.Path, out var then);
            if (now?.IsLink != then?.IsLink || now?.Digest != then?.Digest)
            {
                conflicts.Add(entry.Path);
            }
        }
        return conflicts;
    }

    private static string Digest(string path)
    {
        // Not opened when empty: a named pipe (size 0) would block until someone wrote to it.
        if (new FileInfo(path).Length == 0)
        {
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData([]));
        }
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream));
    }

    /// <param name="root">The tree: the user's workspace, or a scratch copy the patch is made from.</param>
    public static void ApplyTo(Changeset changes, string root)
    {
        string Full(ChangesetEntry entry)
        {
            var full = Path.GetFullPath(Path.Combine(root, entry.Path.Replace('/', Path.DirectorySeparatorChar)));
            // Never outside the tree, whatever the name (the check refuses such names; this holds without it).
            return full != Path.TrimEndingDirectorySeparator(root) && SandboxPaths.IsWithin(root, full)
                ? full
                : throw new IOException($"'{entry.Path}' lies outside the tree");
        }
        // Deletions first, deepest first: a folder the agent replaced with a file (src/ with a.cs, now a file src) is
        // emptied before the file takes its place, and a file replaced with a folder is gone before the folder comes.
        foreach (var entry in changes.Entries.Where(entry => entry.Change == FileChange.Deleted).OrderByDescending(entry => entry.Path.Length))
        {
            var path = Full(entry);
            SafeFiles.Delete(path, root);
            RemoveEmptyFolders(Path.GetDirectoryName(path)!, root);
        }
        foreach (var entry in changes.Entries.Where(entry => entry.Change != FileChange.Deleted))
        {
            var path = Full(entry);
            SafeFiles.CreateDirectory(Path.GetDirectoryName(path)!, root);
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null && IsEmptyTree(path))
            {
                // A folder the agent replaced with a file, emptied by the deletions (empty folders within it too).
                Directory.Delete(path, recursive: true);
            }
            if (entry.Kind == EntryKind.Link)
            {
                File.Delete(path);
                File.CreateSymbolicLink(path, entry.LinkTarget!);
            }
            else
            {
                WriteFile(path, entry);
            }
        }
    }

    /// <summary>Folders the deletions emptied, up to the root: the agent's tree has no file in them any more.</summary>
    private static void RemoveEmptyFolders(string folder, string root)
    {
        var top = Path.TrimEndingDirectorySeparator(root);
        for (var current = folder; current.Length > top.Length && Directory.Exists(current) && new DirectoryInfo(current).LinkTarget is null
            && !Directory.EnumerateFileSystemEntries(current).Any(); current = Path.GetDirectoryName(current)!)
        {
            Directory.Delete(current);
        }
    }

    /// <summary>A folder with nothing but empty folders in it.</summary>
    private static bool IsEmptyTree(string folder) =>
        !new DirectoryInfo(folder).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Any(entry => entry is FileInfo || entry.LinkTarget is not null);

    private static void WriteFile(string path, ChangesetEntry entry)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.Copy(entry.StagedFile!, temporary);
            if (!OperatingSystem.IsWindows())
            {
                // The file's own mode when it had one (a modified file keeps its permissions), the executable bits as the agent left them.
                var existing = File.Exists(path) && new FileInfo(path).LinkTarget is null ? File.GetUnixFileMode(path) : File.GetUnixFileMode(temporary);
                File.SetUnixFileMode(temporary, entry.Executable ? existing | Executable : existing & ~Executable);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
