using System.Security.Cryptography;
using AgentSandbox.Common;

namespace AgentSandbox.Workspace;

/// <summary>
/// The content hashes of every file under the workspace, to tell afterwards what the agent changed. Content, not
/// timestamps: a rewrite with the same text is no change, an edit that keeps the size is one. Besides, where git
/// metadata is (which the host's git obeys) and the size and time of build output (which the host's next build may
/// use without compiling), to tell what the agent planted there. A snapshot taken after another reads again only the
/// files whose stamp (device, inode, size, modification and change time) is not the one kept with their hash.
/// </summary>
internal sealed class WorkspaceSnapshot
{
    private const string GitDirectory = ".git";

    /// <summary>Build output: a build inside the sandbox churns it and nobody reviews it, but the host's next build trusts it.</summary>
    private static readonly IReadOnlySet<string> BuildOutputDirectories = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "bin", "obj" };

    /// <summary>Visual Studio's state: neither reviewed nor run.</summary>
    private const string ToolStateDirectory = ".vs";

    /// <summary>
    /// Build output is compared by size and time only, except the .props and .targets files in it: the next build on
    /// the host imports them (NuGet's generated imports), so a change to them must be seen like a change to the project file.
    /// </summary>
    private static readonly string[] BuildImportExtensions = [".props", ".targets"];

    // Dotfiles count (.editorconfig, .github/...). A directory that cannot be listed is recorded, not skipped silently.
    private static readonly EnumerationOptions Listing = new() { IgnoreInaccessible = false, AttributesToSkip = 0 };

    private const string LinkPrefix = "link:";

    private readonly Dictionary<string, string> _hashes;
    private readonly Dictionary<string, FileStamp> _stamps;
    /// <summary>Build output by size, time and, where the filesystem keeps one, change time (0 where not).</summary>
    private readonly Dictionary<string, (long Length, DateTime Written, long Changed)> _buildOutput;
    private readonly Dictionary<string, string> _gitEntries;
    private readonly HashSet<string> _unreadable;

    private WorkspaceSnapshot(
        Dictionary<string, string> hashes, Dictionary<string, FileStamp> stamps, Dictionary<string, (long, DateTime, long)> buildOutput,
        Dictionary<string, string> gitEntries, HashSet<string> unreadable, int filesRead) =>
        (_hashes, _stamps, _buildOutput, _gitEntries, _unreadable, FilesRead) = (hashes, stamps, buildOutput, gitEntries, unreadable, filesRead);

    public int FileCount => _hashes.Count;

    /// <summary>How many files' content this snapshot read (the rest it took from the one before).</summary>
    public int FilesRead { get; }

    /// <summary>The files and links by content, without build output and tool state, as copy mode copies them in: what a run's cache key hashes.</summary>
    public IEnumerable<TreeEntry> Contents => _hashes.Where(entry => !WorkspaceCopy.IsNotCopied(entry.Key)).Select(entry =>
        entry.Value.StartsWith(LinkPrefix, StringComparison.Ordinal)
            ? new TreeEntry(entry.Key, IsLink: true, entry.Value[LinkPrefix.Length..], Executable: false)
            : new TreeEntry(entry.Key, IsLink: false, entry.Value, Executable: false));

    /// <summary>
    /// Every .git directory or file (worktrees, submodules) in the workspace that is not a link, relative, with forward
    /// slashes: what the sandbox mounts read-only.
    /// </summary>
    public IReadOnlyCollection<string> GitEntries =>
        _gitEntries.Where(entry => !entry.Value.StartsWith(LinkPrefix, StringComparison.Ordinal)).Select(entry => entry.Key).ToList();

    /// <param name="earlier">A snapshot of the same tree whose hashes stand for the files whose stamp has not changed since.</param>
    public static WorkspaceSnapshot Take(string root, WorkspaceSnapshot? earlier = null)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var stamps = new Dictionary<string, FileStamp>(StringComparer.Ordinal);
        var buildOutput = new Dictionary<string, (long, DateTime, long)>(StringComparer.Ordinal);
        var gitEntries = new Dictionary<string, string>(StringComparer.Ordinal);
        var unreadable = new HashSet<string>(StringComparer.Ordinal);
        var toHash = new List<(string Path, FileInfo File)>();
        string Relative(string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
        // Stamps only where the filesystem keeps change times, and only on the tree's own device (whatever is mounted
        // inside it may not).
        var device = FileStamp.KeepsChangeTimes(root) && FileStamp.Of(root) is { } rootStamp ? rootStamp.Device : (ulong?)null;
        FileStamp? StampOf(FileInfo file) => device is { } tree && FileStamp.Of(file.FullName) is { } found && found.Device == tree ? found : null;

        var pending = new Stack<(DirectoryInfo Directory, bool InBuildOutput)>([(new DirectoryInfo(root), false)]);
        while (pending.TryPop(out var current))
        {
            var (directory, inBuildOutput) = current;
            List<FileSystemInfo> entries;
            try
            {
                entries = directory.EnumerateFileSystemInfos("*", Listing).ToList();
            }
            catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
            {
                // Enterable but not listable still shows a .git by name, which the host's git would find there too.
                unreadable.Add(Relative(directory.FullName));
                var hidden = Path.Combine(directory.FullName, GitDirectory);
                if (Directory.Exists(hidden) || File.Exists(hidden))
                {
                    gitEntries[Relative(hidden)] = GitFingerprint.Of(hidden);
                }
                continue;
            }
            foreach (var entry in entries)
            {
                if (entry.Name.Equals(GitDirectory, StringComparison.OrdinalIgnoreCase))
                {
                    gitEntries[Relative(entry.FullName)] = entry.LinkTarget is { } target ? LinkPrefix + target : GitFingerprint.Of(entry.FullName);
                }
                // Links are not followed (a link out of the project is not the project), but they are entries of the
                // tree like files: a planted Directory.Build.props link is a change to be seen and checked.
                else if (entry.LinkTarget is { } target)
                {
                    if (!inBuildOutput)
                    {
                        hashes[Relative(entry.FullName)] = LinkPrefix + target;
                    }
                }
                else if (entry is DirectoryInfo child)
                {
                    if (!child.Name.Equals(ToolStateDirectory, StringComparison.OrdinalIgnoreCase))
                    {
                        pending.Push((child, inBuildOutput || BuildOutputDirectories.Contains(child.Name)));
                    }
                }
                else if (entry is FileInfo file)
                {
                    if (inBuildOutput && !BuildImportExtensions.Contains(file.Extension, StringComparer.OrdinalIgnoreCase))
                    {
                        // The change time too: output rewritten with its size and time put back is still a change.
                        buildOutput[Relative(file.FullName)] = (file.Length, file.LastWriteTimeUtc, StampOf(file)?.Changed ?? 0);
                    }
                    else
                    {
                        toHash.Add((Relative(file.FullName), file));
                    }
                }
            }
        }
        // Reading and hashing is most of a large tree's snapshot, and each file's is its own: on every core, unless
        // the tree is small enough to be done before the threads would be.
        var hashed = new (string? Hash, FileStamp? Stamp, bool Read)[toHash.Count];
        Parallel.For(0, toHash.Count, new ParallelOptions { MaxDegreeOfParallelism = toHash.Count < 256 ? 1 : Environment.ProcessorCount }, i =>
        {
            var (path, file) = toHash[i];
            // The stamp before the content: a file written while it is read has a newer stamp than the one kept, and is read again next time.
            var stamp = StampOf(file);
            hashed[i] = stamp is { } now && earlier is not null && earlier._stamps.TryGetValue(path, out var then) && then == now
                && earlier._hashes.TryGetValue(path, out var known)
                    ? (known, stamp, false)
                    : (TryHash(file), stamp, true);
        });
        for (var i = 0; i < toHash.Count; i++)
        {
            if (hashed[i].Hash is { } hash)
            {
                hashes[toHash[i].Path] = hash;
                if (hashed[i].Stamp is { } stamp)
                {
                    stamps[toHash[i].Path] = stamp;
                }
            }
        }
        return new WorkspaceSnapshot(hashes, stamps, buildOutput, gitEntries, unreadable, hashed.Count(file => file.Read));
    }

    /// <summary>
    /// Git metadata that was not there before: a repository the host's git would obey (hooks, core.fsmonitor).
    /// Identity is the metadata's content, not its path. A repository the agent moved (by renaming a parent
    /// directory: the read-only mount moves along) is the user's, and whatever then appears at its old path is new.
    /// A repository that changed where it is was changed on the host (the agent cannot write to it): the user's too.
    /// </summary>
    public IReadOnlyList<string> NewGitEntries(WorkspaceSnapshot after)
    {
        var moved = _gitEntries.Where(entry => !after._gitEntries.TryGetValue(entry.Key, out var now) || now != entry.Value)
            .Select(entry => entry.Value).ToList();
        var planted = new List<string>();
        foreach (var (path, fingerprint) in after._gitEntries.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            if (_gitEntries.TryGetValue(path, out var before))
            {
                var originalMovedAway = before != fingerprint
                    && after._gitEntries.Any(other => other.Key != path && other.Value == before && !_gitEntries.ContainsKey(other.Key));
                if (originalMovedAway)
                {
                    planted.Add(path);
                }
            }
            else if (!moved.Remove(fingerprint))
            {
                planted.Add(path);
            }
        }
        return planted;
    }

    /// <summary>
    /// Bare repository layouts (HEAD and config, files or links, beside objects) under any name that were not there
    /// before: git on the host obeys such a folder's config when it starts there.
    /// </summary>
    public IReadOnlyList<string> NewBareRepositories(WorkspaceSnapshot after, string root)
    {
        bool IsLayout(WorkspaceSnapshot snapshot, string folder)
        {
            var prefix = folder.Length == 0 ? "" : folder + "/";
            var objects = Path.Combine(root, (prefix + "objects").Replace('/', Path.DirectorySeparatorChar));
            return snapshot._hashes.ContainsKey(prefix + "HEAD") && snapshot._hashes.ContainsKey(prefix + "config")
                && (Directory.Exists(objects) || new FileInfo(objects).LinkTarget is not null);
        }
        return after._hashes.Keys.Where(path => path == "HEAD" || path.EndsWith("/HEAD", StringComparison.Ordinal))
            .Select(path => path.Length > 4 ? path[..^5] : "")
            .Where(folder => IsLayout(after, folder) && !IsLayout(this, folder))
            .Select(folder => folder.Length == 0 ? "." : folder)
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Directories that could be listed before and cannot now: what the agent left there cannot be checked.</summary>
    public IReadOnlyList<string> NewlyUnreadable(WorkspaceSnapshot after) =>
        after._unreadable.Where(path => !_unreadable.Contains(path)).Order(StringComparer.Ordinal).ToList();

    /// <summary>How many files of build output were added, rewritten or deleted.</summary>
    public int BuildOutputChanges(WorkspaceSnapshot after) =>
        after._buildOutput.Count(file => !_buildOutput.TryGetValue(file.Key, out var before) || before != file.Value)
        + _buildOutput.Keys.Count(path => !after._buildOutput.ContainsKey(path));

    public IReadOnlyList<ChangedFile> ChangesTo(WorkspaceSnapshot after)
    {
        var changes = new List<ChangedFile>();
        foreach (var (path, hash) in after._hashes)
        {
            if (!_hashes.TryGetValue(path, out var before))
            {
                changes.Add(new ChangedFile(path, FileChange.Added));
            }
            else if (before != hash)
            {
                changes.Add(new ChangedFile(path, FileChange.Modified));
            }
        }
        changes.AddRange(_hashes.Keys.Where(path => !after._hashes.ContainsKey(path)).Select(path => new ChangedFile(path, FileChange.Deleted)));
        return changes.OrderBy(change => change.Path, StringComparer.Ordinal).ToList();
    }

    private static readonly string EmptyHash = Convert.ToHexString(SHA256.HashData([]));

    private static string? TryHash(FileInfo file)
    {
        // Nothing to read, and not opened: a named pipe (size 0) would block the build until someone wrote to it.
        if (file.Length == 0)
        {
            return EmptyHash;
        }
        try
        {
            using var stream = file.OpenRead();
            return Convert.ToHexString(SHA256.HashData(stream));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A file the build user cannot read is not one the agent could have been asked about.
            return null;
        }
    }
}
