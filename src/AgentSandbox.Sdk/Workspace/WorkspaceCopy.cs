using System.Formats.Tar;
using System.Security.Cryptography;
using AgentSandbox.Common;
using AgentSandbox.Docker;
using AgentSandbox.Project;

namespace AgentSandbox.Workspace;

/// <summary>A file or link of the workspace as it was copied into the sandbox.</summary>
/// <param name="Digest">A file's SHA-256 (hex); a link's target.</param>
internal sealed record TreeEntry(string Path, bool IsLink, string Digest, bool Executable);

/// <summary>
/// AgentWorkspaceMode copy: the workspace as the sandbox holds it across a target's containers. It is copied in through
/// the engine (a tar extracted in the container, so a remote engine works too), the agent's container gives its tree
/// back the same way, and the next container (AgentFix's next round, the verifying build) starts from that. The user's
/// tree is never writable from a container; what the agent changed comes out as a <see cref="Changeset"/>.
/// </summary>
internal sealed class WorkspaceCopy : IDisposable
{
    /// <summary>The folder name of the workspace in the tar, as the container's root holds it.</summary>
    public static readonly string RootEntry = SandboxPaths.Workspace.TrimStart('/');

    /// <summary>Not copied in, and not taken back: git metadata (the host's git obeys it), tool state and build output.</summary>
    private static readonly IReadOnlySet<string> NotCopied = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".git", ".vs", "bin", "obj" };

    private readonly string _directory;
    private readonly HostUser _user;
    private int _generation;

    private WorkspaceCopy(string hostRoot, string directory, HostUser user, Dictionary<string, TreeEntry> before)
    {
        HostRoot = hostRoot;
        _directory = directory;
        _user = user;
        Before = before;
        TreeFile = Path.Combine(directory, "tree-0.tar");
    }

    public string HostRoot { get; }

    /// <summary>The workspace's files and links as they were copied in, by relative path.</summary>
    public IReadOnlyDictionary<string, TreeEntry> Before { get; }

    /// <summary>The tree the next container gets: the host's at first, then what the last agent container left.</summary>
    public string TreeFile { get; private set; }

    /// <summary>Whether a path (relative, forward slashes) lies in a folder that is neither copied in nor taken back.</summary>
    public static bool IsNotCopied(string relativePath) => relativePath.Split('/').Any(NotCopied.Contains);

    /// <summary>Copies the host's workspace into a tar owned by the agent's user; links are copied as links, never followed.</summary>
    public static WorkspaceCopy Pack(string hostRoot, HostUser user)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("agentsandbox-copy-").FullName;
        var before = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        var copy = new WorkspaceCopy(hostRoot, directory, user, before);
        try
        {
            using var tar = new TarWriter(File.Create(copy.TreeFile), TarEntryFormat.Pax, leaveOpen: false);
            tar.WriteEntry(copy.FolderEntry(RootEntry, DefaultFolderMode));
            copy.PackFolder(tar, new DirectoryInfo(hostRoot), "", before);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        return copy;
    }

    private void PackFolder(TarWriter tar, DirectoryInfo folder, string relative, Dictionary<string, TreeEntry> before)
    {
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = folder.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }).OrderBy(entry => entry.Name, StringComparer.Ordinal).ToList();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // What the build user cannot list, the agent could not have been asked about.
            return;
        }
        foreach (var entry in entries)
        {
            var path = relative.Length == 0 ? entry.Name : $"{relative}/{entry.Name}";
            if (NotCopied.Contains(entry.Name))
            {
                continue;
            }
            if (entry.LinkTarget is { } target)
            {
                tar.WriteEntry(Owned(new PaxTarEntry(TarEntryType.SymbolicLink, $"{RootEntry}/{path}") { LinkName = target }, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
                before[path] = new TreeEntry(path, IsLink: true, target, Executable: false);
            }
            else if (entry is DirectoryInfo child)
            {
                tar.WriteEntry(FolderEntry($"{RootEntry}/{path}", ModeOf(child, DefaultFolderMode) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
                PackFolder(tar, child, path, before);
            }
            else if (entry is FileInfo file)
            {
                try
                {
                    // Nothing to read, and not opened: a named pipe (size 0) would block until someone wrote to it.
                    using var content = file.Length == 0 ? new MemoryStream() : (Stream)file.OpenRead();
                    var digest = Convert.ToHexString(SHA256.HashData(content));
                    content.Position = 0;
                    var mode = ModeOf(file, DefaultFileMode) | UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    tar.WriteEntry(Owned(new PaxTarEntry(TarEntryType.RegularFile, $"{RootEntry}/{path}") { DataStream = content }, mode));
                    before[path] = new TreeEntry(path, IsLink: false, digest, Executable: (mode & UnixFileMode.UserExecute) != 0);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // A file the build user cannot read is not one the agent could have been asked about.
                }
            }
        }
    }

    private const UnixFileMode DefaultFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode DefaultFolderMode = DefaultFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>An entry's permissions; on Windows, which has none of these, the usual ones (0644 for files, 0755 for folders).</summary>
    private static UnixFileMode ModeOf(FileSystemInfo entry, UnixFileMode windowsDefault) =>
        OperatingSystem.IsWindows() ? windowsDefault : entry.UnixFileMode;

    private PaxTarEntry FolderEntry(string name, UnixFileMode mode) => Owned(new PaxTarEntry(TarEntryType.Directory, name + "/"), mode);

    private T Owned<T>(T entry, UnixFileMode mode) where T : PosixTarEntry
    {
        entry.Uid = (int)_user.Uid;
        entry.Gid = (int)_user.Gid;
        entry.Mode = mode;
        entry.ModificationTime = DateTimeOffset.UtcNow;
        return entry;
    }

    /// <summary>
    /// Whether the next container may give back only what changed in it: when it gets the host's tree, whose digests
    /// <see cref="Before"/> holds, so that what did not come back is known.
    /// </summary>
    public bool ChangedOnly => _generation == 0;

    private const long MinimumReturnLimit = 4L * 1024 * 1024 * 1024;

    /// <summary>A listing and what changed that an agent container gave back over <see cref="TreeFile"/>, not yet made into a whole tree.</summary>
    private string? _changes;

    /// <summary>Keeps the tree an agent container gave back, whole or as what changed: the next container starts from it.</summary>
    public async Task AdoptAsync(Stream archive, CancellationToken cancellationToken)
    {
        // What comes back is the container's tar's doing, and the agent may have replaced that tar: bounded.
        var limit = Math.Max(MinimumReturnLimit, 4 * TreeBytes);
        var next = Path.Combine(_directory, $"tree-{++_generation}.tar");
        await using (var file = File.Create(next))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await archive.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (file.Length + read > limit)
                {
                    throw Errors.Diagnostics.WorkspaceCopyFailed("out of", $"what came back passed {limit / (1024 * 1024)} MiB, four times the tree that went in");
                }
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        if (HeldContainer.IsChangedOnly(next))
        {
            _changes = next;
        }
        else
        {
            (TreeFile, _changes) = (next, null);
        }
    }

    /// <summary>The tree for the next container: what changed is merged into a whole tree first, and only then, as only a next container needs it.</summary>
    public Stream OpenTree()
    {
        if (_changes is { } changes)
        {
            TreeFile = Merge(TreeFile, changes, Path.Combine(_directory, $"tree-{_generation}-whole.tar"));
            _changes = null;
        }
        return File.OpenRead(TreeFile);
    }

    /// <summary>The entries of <paramref name="tree"/> the listing still has and that did not change, then those that did.</summary>
    private static string Merge(string tree, string changes, string merged)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        using (var stream = File.OpenRead(changes))
        using (var reader = new TarReader(stream))
        {
            present.UnionWith(HeldContainer.ReadListing(reader).Select(entry => entry.Name));
            while (reader.GetNextEntry() is { } entry)
            {
                changed.Add(entry.Name.TrimEnd('/'));
            }
        }
        using var output = new TarWriter(File.Create(merged), TarEntryFormat.Pax, leaveOpen: false);
        using (var stream = File.OpenRead(tree))
        using (var reader = new TarReader(stream))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                var name = entry.Name.TrimEnd('/');
                if (present.Contains(name) && !changed.Contains(name))
                {
                    output.WriteEntry(entry);
                }
            }
        }
        using (var stream = File.OpenRead(changes))
        using (var reader = new TarReader(stream))
        {
            // The listing, read above.
            _ = reader.GetNextEntry();
            while (reader.GetNextEntry() is { } entry)
            {
                output.WriteEntry(entry.Format == TarEntryFormat.Pax ? entry : new PaxTarEntry(entry));
            }
        }
        return merged;
    }

    /// <summary>The size of the tree the next container gets, as a tar.</summary>
    public long TreeBytes => new FileInfo(TreeFile).Length + (_changes is { } changes ? new FileInfo(changes).Length : 0);

    /// <summary>
    /// What the tree now holds that the host's does not: compared with what was copied in. New files the repository's
    /// .gitignore ignores are output (logs, packages, caches), not changes: they are not taken back.
    /// </summary>
    public Changeset Changes()
    {
        var staging = Path.Combine(_directory, $"staged-{_generation}");
        var changes = _changes is { } changed ? Changeset.CompareChanged(Before, changed, staging) : Changeset.Compare(Before, TreeFile, staging);
        var added = changes.Entries.Where(entry => entry.Change == FileChange.Added).Select(entry => entry.Path).ToList();
        if (added.Count == 0 || WorkspaceChoice.RepositoryRoot(HostRoot) is null
            || GitCommand.Run(HostRoot, ["check-ignore", "--stdin", "-z"], input: string.Join('\0', added) + "\0") is not { } ignored)
        {
            return changes;
        }
        var skipped = ignored.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return skipped.Count == 0 ? changes
            : new Changeset(changes.Entries.Where(entry => entry.Change != FileChange.Added || !skipped.Contains(entry.Path)).ToList(), changes.GitMetadata);
    }

    public void Dispose() => SafeFiles.DeleteTemporaryFolder(_directory);
}
