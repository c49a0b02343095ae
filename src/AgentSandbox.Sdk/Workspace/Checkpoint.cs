using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using AgentSandbox.Common;

namespace AgentSandbox.Workspace;

/// <summary>
/// The workspace as it was before a run changed it, so that it can always be restored: in a git repository a commit of
/// the working tree (untracked files too, ignored ones not) under refs/agentsandbox/&lt;id&gt;, made with an index of its
/// own, so the user's index, branch and files stay as they are; elsewhere a compressed copy. A small record next to the
/// run's other files says which, and where the workspace is.
/// </summary>
internal sealed record Checkpoint(string Id, string WorkspaceRoot, string? GitReference, string? Archive)
{
    public const string RefPrefix = "refs/agentsandbox/";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The one command that restores it, run from the project's folder.</summary>
    public string RestoreCommand => $"dotnet build -t:AgentRestore -p:AgentCheckpoint={Id}";

    /// <param name="directory">Where the checkpoints are kept (obj/agent/checkpoints).</param>
    /// <param name="keep">AgentCheckpointsToKeep: older checkpoints of the workspace are pruned.</param>
    public static Checkpoint Create(string workspaceRoot, string id, string directory, int keep, string reach)
    {
        var checkpoint = GitCheckpoint(workspaceRoot, id) ?? ArchiveCheckpoint(workspaceRoot, id, directory, reach);
        SafeFiles.Write(RecordPath(directory, id), JsonSerializer.SerializeToUtf8Bytes(checkpoint, Json), reach);
        Prune(directory, keep, reach);
        return checkpoint;
    }

    public static Checkpoint? Find(string directory, string id)
    {
        var record = RecordPath(directory, id);
        return File.Exists(record) ? JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(record)) : null;
    }

    private static string RecordPath(string directory, string id) => Path.Combine(directory, id + ".json");

    /// <summary>Puts every file of the checkpoint back and removes the files it did not have (ignored files and .git, bin, obj, .vs aside).</summary>
    /// <returns>How many files were written and removed.</returns>
    public (int Written, int Removed) Restore()
    {
        var kept = GitReference is not null ? RestoreFromGit() : RestoreFromArchive();
        var removed = 0;
        foreach (var path in CurrentFiles().Where(path => !kept.Contains(path)))
        {
            File.Delete(Path.Combine(WorkspaceRoot, path.Replace('/', Path.DirectorySeparatorChar)));
            removed++;
        }
        return (kept.Count, removed);
    }

    /// <summary>Puts one file (or link) back as the checkpoint has it.</summary>
    /// <param name="path">Relative to the workspace root, with forward slashes.</param>
    /// <returns>False when the checkpoint does not have it.</returns>
    public bool RestoreFile(string path)
    {
        if (GitReference is not null)
        {
            var index = Path.Combine(Path.GetTempPath(), $"agentsandbox-index-{Guid.NewGuid():N}");
            try
            {
                var environment = Identity(index);
                return GitCommand.Run(WorkspaceRoot, ["read-tree", GitReference], environment) is { ExitCode: 0 }
                    && GitCommand.Run(WorkspaceRoot, ["checkout-index", "-f", "--", path], environment) is { ExitCode: 0 };
            }
            finally
            {
                File.Delete(index);
            }
        }
        using var file = File.OpenRead(Archive!);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name == path)
            {
                var target = Path.Combine(WorkspaceRoot, path.Replace('/', Path.DirectorySeparatorChar));
                SafeFiles.CreateDirectory(Path.GetDirectoryName(target)!, WorkspaceRoot);
                File.Delete(target);
                if (entry.EntryType == TarEntryType.SymbolicLink)
                {
                    File.CreateSymbolicLink(target, entry.LinkName);
                }
                else
                {
                    entry.ExtractToFile(target, overwrite: true);
                }
                return true;
            }
        }
        return false;
    }

    private static Checkpoint? GitCheckpoint(string workspaceRoot, string id)
    {
        if (WorkspaceChoice.RepositoryRoot(workspaceRoot) is null)
        {
            return null;
        }
        var index = Path.Combine(Path.GetTempPath(), $"agentsandbox-index-{Guid.NewGuid():N}");
        try
        {
            var environment = Identity(index);
            var head = GitCommand.Run(workspaceRoot, ["rev-parse", "--verify", "-q", "HEAD"]) is { ExitCode: 0 } found ? found.Output.Trim() : null;
            if ((head is not null && GitCommand.Run(workspaceRoot, ["read-tree", head], environment) is not { ExitCode: 0 })
                || GitCommand.Run(workspaceRoot, ["add", "-A", "--", "."], environment) is not { ExitCode: 0 }
                || GitCommand.Run(workspaceRoot, ["write-tree"], environment) is not { ExitCode: 0 } tree)
            {
                return null;
            }
            string[] parent = head is null ? [] : ["-p", head];
            if (GitCommand.Run(workspaceRoot, ["commit-tree", tree.Output.Trim(), .. parent, "-m", $"AgentSandbox checkpoint {id} of {workspaceRoot}"], environment) is not { ExitCode: 0 } commit
                || GitCommand.Run(workspaceRoot, ["update-ref", RefPrefix + id, commit.Output.Trim()]) is not { ExitCode: 0 })
            {
                return null;
            }
            return new Checkpoint(id, workspaceRoot, RefPrefix + id, null);
        }
        finally
        {
            File.Delete(index);
        }
    }

    private static Checkpoint ArchiveCheckpoint(string workspaceRoot, string id, string directory, string reach)
    {
        var archive = Path.Combine(directory, id + ".tar.gz");
        SafeFiles.CreateDirectory(directory, reach);
        var temporary = archive + ".tmp";
        using (var file = new FileStream(temporary, FileMode.CreateNew))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var path in WalkFiles(workspaceRoot))
            {
                tar.WriteEntry(Path.Combine(workspaceRoot, path.Replace('/', Path.DirectorySeparatorChar)), path);
            }
        }
        File.Move(temporary, archive, overwrite: true);
        return new Checkpoint(id, workspaceRoot, null, archive);
    }

    private HashSet<string> RestoreFromGit()
    {
        var index = Path.Combine(Path.GetTempPath(), $"agentsandbox-index-{Guid.NewGuid():N}");
        try
        {
            var environment = Identity(index);
            // The files under the workspace only (ls-files lists those under the current folder, relative to it): a
            // workspace inside a larger repository leaves the rest of it alone.
            if (GitCommand.Run(WorkspaceRoot, ["read-tree", GitReference!], environment) is not { ExitCode: 0 }
                || GitCommand.Run(WorkspaceRoot, ["ls-files", "-z"], environment) is not { ExitCode: 0 } files
                || GitCommand.Run(WorkspaceRoot, ["checkout-index", "-f", "-z", "--stdin"], environment, input: files.Output) is not { ExitCode: 0 })
            {
                throw new IOException($"git could not read the checkpoint {GitReference}");
            }
            return files.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        }
        finally
        {
            File.Delete(index);
        }
    }

    private HashSet<string> RestoreFromArchive()
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        using var file = File.OpenRead(Archive!);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            var target = Path.Combine(WorkspaceRoot, entry.Name.Replace('/', Path.DirectorySeparatorChar));
            SafeFiles.CreateDirectory(Path.GetDirectoryName(target)!, WorkspaceRoot);
            File.Delete(target);
            if (entry.EntryType == TarEntryType.SymbolicLink)
            {
                File.CreateSymbolicLink(target, entry.LinkName);
            }
            else
            {
                entry.ExtractToFile(target, overwrite: true);
            }
            kept.Add(entry.Name);
        }
        return kept;
    }

    /// <summary>The files a checkpoint of the workspace would hold now: git's view (ignored files aside) in a repository, else every file.</summary>
    private IEnumerable<string> CurrentFiles()
    {
        if (GitReference is not null)
        {
            var tracked = GitCommand.Run(WorkspaceRoot, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."]);
            return (tracked?.Output ?? "").Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)
                .Where(path => File.Exists(Path.Combine(WorkspaceRoot, path)) || new FileInfo(Path.Combine(WorkspaceRoot, path)).LinkTarget is not null).ToList();
        }
        return WalkFiles(WorkspaceRoot).ToList();
    }

    /// <summary>Every file and link under the root, .git, .vs, bin and obj aside, relative with forward slashes.</summary>
    private static IEnumerable<string> WalkFiles(string root) =>
        new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
            .Where(entry => entry is FileInfo || entry.LinkTarget is not null)
            .Select(entry => Path.GetRelativePath(root, entry.FullName).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(path => !WorkspaceCopy.IsNotCopied(path));

    /// <summary>Oldest first beyond <paramref name="keep"/>: their records, archives and git references go.</summary>
    private static void Prune(string directory, int keep, string reach)
    {
        var records = new DirectoryInfo(directory).EnumerateFiles("*.json").OrderByDescending(file => file.LastWriteTimeUtc).Skip(keep).ToList();
        foreach (var record in records)
        {
            if (Find(directory, Path.GetFileNameWithoutExtension(record.Name)) is { } old)
            {
                if (old.GitReference is not null)
                {
                    GitCommand.Run(old.WorkspaceRoot, ["update-ref", "-d", old.GitReference]);
                }
                if (old.Archive is not null)
                {
                    SafeFiles.Delete(old.Archive, reach);
                }
            }
            SafeFiles.Delete(record.FullName, reach);
        }
    }

    private static Dictionary<string, string> Identity(string index) => new()
    {
        ["GIT_INDEX_FILE"] = index,
        ["GIT_AUTHOR_NAME"] = "AgentSandbox",
        ["GIT_AUTHOR_EMAIL"] = "agentsandbox@localhost",
        ["GIT_COMMITTER_NAME"] = "AgentSandbox",
        ["GIT_COMMITTER_EMAIL"] = "agentsandbox@localhost",
    };
}
