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
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream));
    }

    /// <param name="root">The tree: the user's workspace, or a scratch copy the patch is made from.</param>
    public static void ApplyTo(Changeset changes, string root)
    {
        string Full(ChangesetEntry entry) => Path.Combine(root, entry.Path.Replace('/', Path.DirectorySeparatorChar));
        // Deletions first, deepest first: a folder the agent replaced with a file (src/ with a.cs, now a file src) is
        // emptied before the file takes its place, and a file replaced with a folder is gone before the folder comes.
        foreach (var entry in changes.Entries.Where(entry => entry.Change == FileChange.Deleted).OrderByDescending(entry => entry.Path.Length))
        {
            var path = Full(entry);
            SafeFiles.Delete(path, root);
            RemoveEmptyFolders(Path.GetDirectoryName(path)!, root, changes);
        }
        foreach (var entry in changes.Entries.Where(entry => entry.Change != FileChange.Deleted))
        {
            var path = Full(entry);
            SafeFiles.CreateDirectory(Path.GetDirectoryName(path)!, root);
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null && !Directory.EnumerateFileSystemEntries(path).Any())
            {
                Directory.Delete(path);
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

    /// <summary>Folders the deletions emptied where the agent's tree has a file or link instead.</summary>
    private static void RemoveEmptyFolders(string folder, string root, Changeset changes)
    {
        var relative = Path.GetRelativePath(root, folder).Replace(Path.DirectorySeparatorChar, '/');
        if (relative != "." && changes.Entries.Any(entry => entry.Change != FileChange.Deleted && entry.Path == relative)
            && Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
        {
            Directory.Delete(folder);
        }
    }

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
