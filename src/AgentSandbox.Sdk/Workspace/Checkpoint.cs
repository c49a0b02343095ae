using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using AgentSandbox.Common;

namespace AgentSandbox.Workspace;

/// <summary>
/// The workspace as it was before a run changed it, so that it can always be restored: in a git repository a commit of
/// the working tree (untracked files too, ignored ones not) under refs/agentsandbox/&lt;id&gt;, made with an index of its
/// own, so the user's index, branch and files stay as they are; elsewhere a compressed copy. A small record says which,
/// and where the workspace is. Records and copies are kept in the build user's state folder, out of every agent's
/// reach (a mount-mode agent could otherwise rewrite them), and are checked before they are used all the same.
/// </summary>
internal sealed record Checkpoint(string Id, string WorkspaceRoot, string? GitReference, string? Archive)
{
    public const string RefPrefix = "refs/agentsandbox/";

    /// <summary>The one command that restores it, run from the project's folder.</summary>
    public string RestoreCommand => $"dotnet build -t:AgentRestore -p:AgentCheckpoint={Id}";

    /// <summary>Where checkpoints are kept: the build user's state folder.</summary>
    public static string DefaultDirectory => StateFolder.Of("checkpoints");

    /// <summary>Records the workspace as it is now; <see cref="Prune"/> then removes the older checkpoints beyond those kept.</summary>
    /// <param name="directory">Where the checkpoints are kept; the state folder unless a test says otherwise.</param>
    public static Checkpoint Take(string workspaceRoot, string id, string? directory = null)
    {
        directory ??= DefaultDirectory;
        Directory.CreateDirectory(directory);
        var checkpoint = GitCheckpoint(workspaceRoot, id) ?? ArchiveCheckpoint(workspaceRoot, id, directory);
        File.WriteAllBytes(RecordPath(directory, id), JsonSerializer.SerializeToUtf8Bytes(checkpoint, StateJson.Default.Checkpoint));
        return checkpoint;
    }

    /// <returns>The checkpoint, when its record exists and holds together: its archive in the same folder, its git
    /// reference its own, its workspace an existing folder; null otherwise.</returns>
    public static Checkpoint? Find(string id, string? directory = null)
    {
        directory ??= DefaultDirectory;
        return Read(RecordPath(directory, id)) is { } checkpoint && HoldsTogether(checkpoint, id, directory) ? checkpoint : null;
    }

    /// <summary>A record as it is written, whether or not it holds together; null when there is none or it cannot be read.</summary>
    private static Checkpoint? Read(string record)
    {
        try
        {
            return File.Exists(record) ? JsonSerializer.Deserialize(File.ReadAllText(record), StateJson.Default.Checkpoint) : null;
        }
        catch (Exception exception) when (exception is JsonException or IOException or UnauthorizedAccessException)
        {
            // Unreadable, or pruned by a build beside this one meanwhile.
            return null;
        }
    }

    private static bool HoldsTogether(Checkpoint checkpoint, string id, string directory) =>
        checkpoint.Id == id
        && Directory.Exists(checkpoint.WorkspaceRoot) && Path.IsPathFullyQualified(checkpoint.WorkspaceRoot)
        && (checkpoint.GitReference is null || checkpoint.GitReference == RefPrefix + id)
        && (checkpoint.Archive is null || checkpoint.Archive == Path.Combine(directory, id + ".tar.gz"))
        && (checkpoint.GitReference is null) != (checkpoint.Archive is null);

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
            return WithOwnIndex(index =>
                GitCommand.Run(WorkspaceRoot, ["read-tree", GitReference], index) is { ExitCode: 0 }
                && GitCommand.Run(WorkspaceRoot, ["checkout-index", "-f", "--", path], index) is { ExitCode: 0 });
        }
        foreach (var entry in ArchiveEntries().Where(entry => entry.Name == path))
        {
            Extract(entry);
            return true;
        }
        return false;
    }

    private static Checkpoint? GitCheckpoint(string workspaceRoot, string id)
    {
        if (WorkspaceChoice.RepositoryRoot(workspaceRoot) is not { } repository)
        {
            return null;
        }
        var made = WithOwnIndex(index =>
        {
            // A copy of the user's index when it has only plain entries, so that git add reads only the files changed
            // since; otherwise HEAD's tree, as skip-worktree and assume-unchanged entries would have git add take the
            // index's word instead of the disk's. A repository without a commit yet starts empty.
            var copied = GitIndex.TryCopyPlain(repository, index[IndexVariable]);
            var head = copied || GitCommand.Run(workspaceRoot, ["read-tree", "HEAD"], index) is { ExitCode: 0 } ? "HEAD" : null;
            if (GitCommand.Run(workspaceRoot, ["add", "-A", "--", "."], index) is not { ExitCode: 0 }
                || GitCommand.Run(workspaceRoot, ["write-tree"], index) is not { ExitCode: 0 } tree)
            {
                return false;
            }
            (int ExitCode, string Output)? Commit(string? parent) => GitCommand.Run(workspaceRoot,
                [.. GitCommand.AsAgentSandbox, "commit-tree", tree.Output.Trim(), .. parent is null ? [] : (string[])["-p", parent], "-m", $"AgentSandbox checkpoint {id} of {workspaceRoot}"], index);
            // A copied index of a repository without a commit yet: no HEAD to be the parent.
            var commit = Commit(head) is { ExitCode: 0 } withParent ? withParent : copied ? Commit(null) : null;
            return commit is { ExitCode: 0 } made
                && GitCommand.Run(workspaceRoot, ["update-ref", RefPrefix + id, made.Output.Trim()]) is { ExitCode: 0 };
        });
        return made ? new Checkpoint(id, workspaceRoot, RefPrefix + id, null) : null;
    }

    private static Checkpoint ArchiveCheckpoint(string workspaceRoot, string id, string directory)
    {
        var archive = Path.Combine(directory, id + ".tar.gz");
        var temporary = archive + ".tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create))
            using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            {
                foreach (var path in WalkFiles(workspaceRoot))
                {
                    try
                    {
                        tar.WriteEntry(Path.Combine(workspaceRoot, path.Replace('/', Path.DirectorySeparatorChar)), path);
                    }
                    catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
                    {
                        // A file the build user cannot read: no run could have changed it through this user either.
                    }
                }
            }
            File.Move(temporary, archive, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
        return new Checkpoint(id, workspaceRoot, null, archive);
    }

    private HashSet<string> RestoreFromGit() => WithOwnIndex(index =>
    {
        // The files under the workspace only (ls-files lists those under the current folder, relative to it): a
        // workspace inside a larger repository leaves the rest of it alone.
        if (GitCommand.Run(WorkspaceRoot, ["read-tree", GitReference!], index) is not { ExitCode: 0 }
            || GitCommand.Run(WorkspaceRoot, ["ls-files", "-z"], index) is not { ExitCode: 0 } files
            || GitCommand.Run(WorkspaceRoot, ["checkout-index", "-f", "-z", "--stdin"], index, input: files.Output) is not { ExitCode: 0 })
        {
            throw new IOException($"git could not read the checkpoint {GitReference}");
        }
        return files.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    });

    private HashSet<string> RestoreFromArchive()
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in ArchiveEntries())
        {
            Extract(entry);
            kept.Add(entry.Name);
        }
        return kept;
    }

    /// <summary>The archive's entries whose names stay in the workspace, in order.</summary>
    private IEnumerable<TarEntry> ArchiveEntries()
    {
        using var file = File.OpenRead(Archive!);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (IsInside(entry.Name))
            {
                yield return entry;
            }
        }
    }

    /// <summary>Puts an archive entry (a file or a link) in its place, instead of whatever is there.</summary>
    private void Extract(TarEntry entry)
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
    }

    /// <summary>A relative path that stays in the workspace: no root, no drive, no .. part.</summary>
    private static bool IsInside(string path) =>
        path.Length > 0 && !Path.IsPathRooted(path) && !path.Contains(':') && !path.Contains('\\') && path.Split('/').All(part => part is not ("" or "." or ".."));

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

    /// <summary>Every file and link under the root, .git, .vs, bin and obj aside, relative with forward slashes; folder links are not entered.</summary>
    private static IEnumerable<string> WalkFiles(string root)
    {
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(root)]);
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in folder.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true }))
            {
                var path = Path.GetRelativePath(root, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (WorkspaceCopy.IsNotCopied(path))
                {
                    continue;
                }
                if (entry is DirectoryInfo child && child.LinkTarget is null)
                {
                    pending.Push(child);
                }
                else
                {
                    yield return path;
                }
            }
        }
    }

    /// <summary>How long a checkpoint of a workspace that is gone is kept all the same.</summary>
    internal static readonly TimeSpan GoneWorkspaceGrace = TimeSpan.FromDays(1);

    /// <summary>
    /// The workspace's checkpoints beyond the newest <paramref name="keep"/>: their records, archives and git references
    /// go. So do the checkpoints of a workspace deleted since (a CI job's clone, a test's folder), which can never be
    /// restored to and would otherwise stay, archives and all, and be read on every run: those older than a day whose
    /// workspace is gone from a folder that is still there (not a drive unmounted, nor a path of another machine or
    /// container that shares this home folder).
    /// </summary>
    /// <param name="keep">AgentCheckpointsToKeep.</param>
    /// <param name="directory">Where the checkpoints are kept; the state folder unless a test says otherwise.</param>
    public static void Prune(string workspaceRoot, int keep, string? directory = null)
    {
        directory ??= DefaultDirectory;
        var records = new DirectoryInfo(directory).EnumerateFiles("*.json").OrderByDescending(file => file.LastWriteTimeUtc)
            .Select(record => (Id: Path.GetFileNameWithoutExtension(record.Name), Checkpoint: Read(record.FullName), Written: record.LastWriteTimeUtc)).ToList();
        foreach (var (id, checkpoint, _) in records.Where(record => record.Checkpoint?.WorkspaceRoot == workspaceRoot).Skip(keep))
        {
            if (checkpoint is { GitReference: { } reference } && HoldsTogether(checkpoint, id, directory))
            {
                GitCommand.Run(checkpoint.WorkspaceRoot, ["update-ref", "-d", reference]);
            }
            Remove(directory, id);
        }
        foreach (var (id, _, _) in records.Where(record => record.Checkpoint?.WorkspaceRoot is { } workspace && DateTime.UtcNow - record.Written > GoneWorkspaceGrace
            && !Directory.Exists(workspace) && Path.GetDirectoryName(workspace) is { } parent && Directory.Exists(parent)))
        {
            Remove(directory, id);
        }
    }

    /// <summary>A checkpoint's record and archive, by the record's own name (never a path the record gives); quietly, as a build beside this one may be pruning them too.</summary>
    private static void Remove(string directory, string id)
    {
        try
        {
            File.Delete(Path.Combine(directory, id + ".tar.gz"));
            File.Delete(RecordPath(directory, id));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }

    private const string IndexVariable = "GIT_INDEX_FILE";

    /// <summary>Runs git work with an index of its own (GIT_INDEX_FILE), so that the user's index is never touched.</summary>
    private static T WithOwnIndex<T>(Func<IReadOnlyDictionary<string, string>, T> work)
    {
        var index = Path.Combine(Path.GetTempPath(), $"agentsandbox-index-{Guid.NewGuid():N}");
        try
        {
            return work(new Dictionary<string, string> { [IndexVariable] = index });
        }
        finally
        {
            File.Delete(index);
        }
    }
}
