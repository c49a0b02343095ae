using System.Formats.Tar;
using System.Security.Cryptography;
using AgentSandbox.Docker;

namespace AgentSandbox.Workspace;

/// <summary>What the agent's tree holds at a path, compared with the host's.</summary>
internal enum EntryKind
{
    File,
    Link,

    /// <summary>A hard link, device, pipe or anything else the host is not given.</summary>
    Other,
}

/// <param name="Path">Relative to the workspace root, with forward slashes.</param>
/// <param name="StagedFile">A new file's content, kept in a temporary folder until it is applied.</param>
/// <param name="LinkTarget">A link's target as the agent wrote it.</param>
internal sealed record ChangesetEntry(string Path, FileChange Change, EntryKind Kind, bool Executable = false, string? StagedFile = null, string? LinkTarget = null);

/// <summary>
/// The agent's changes to a copied workspace: files and links added, modified (content, the executable bit, a link's
/// target) and deleted, with the new content staged. Git metadata anywhere in the agent's tree is listed on its own:
/// none was copied in, so any there is the agent's.
/// </summary>
internal sealed class Changeset(IReadOnlyList<ChangesetEntry> entries, IReadOnlyList<string> gitMetadata)
{
    public IReadOnlyList<ChangesetEntry> Entries { get; } = entries;

    /// <summary>Each .git (file or folder) and each bare repository layout (HEAD, config and objects/ together) in the agent's tree.</summary>
    public IReadOnlyList<string> GitMetadata { get; } = gitMetadata;

    public IReadOnlyList<ChangedFile> Files => Entries.Select(entry => new ChangedFile(entry.Path, entry.Change)).ToList();

    public bool IsEmpty => Entries.Count == 0 && GitMetadata.Count == 0;

    /// <summary>Files up to this size are hashed in memory and written out only when they changed, which most did not.</summary>
    private const long InMemoryLimit = 4 * 1024 * 1024;

    /// <summary>Hashes an entry's content; <paramref name="keep"/> writes it to <paramref name="staged"/> when called (null: written already).</summary>
    private static string Stage(TarEntry entry, string staged, out Action? keep)
    {
        var data = entry.DataStream ?? Stream.Null;
        if (entry.Length <= InMemoryLimit)
        {
            var content = new byte[entry.Length];
            data.ReadExactly(content);
            keep = () => File.WriteAllBytes(staged, content);
            return Convert.ToHexString(SHA256.HashData(content));
        }
        using var target = File.Create(staged);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        int read;
        while ((read = data.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            target.Write(buffer, 0, read);
        }
        keep = null;
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <param name="before">What was copied in, by path.</param>
    /// <param name="tree">The tar the agent's container gave back (entries under workspace/).</param>
    /// <param name="staging">Where new contents are kept until applied.</param>
    public static Changeset Compare(IReadOnlyDictionary<string, TreeEntry> before, string tree, string staging)
    {
        var comparison = new Comparison(before, staging);
        using (var stream = File.OpenRead(tree))
        using (var reader = new TarReader(stream))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                if (comparison.Present(entry.Name, KindOf(entry.EntryType)) is { } path)
                {
                    comparison.Compare(path, entry);
                }
            }
        }
        return comparison.Result();
    }

    /// <summary>
    /// The same from what only the changed entries and a listing of all (<see cref="HeldContainer.ReadListing"/>) give: an entry
    /// the listing names that did not come back is as it was copied in, so only what changed is hashed.
    /// </summary>
    /// <param name="changes">The tar: the listing first, then every entry whose status changed since the copy came in.</param>
    public static Changeset CompareChanged(IReadOnlyDictionary<string, TreeEntry> before, string changes, string staging)
    {
        var comparison = new Comparison(before, staging);
        using var stream = File.OpenRead(changes);
        using var reader = new TarReader(stream);
        foreach (var (type, name) in HeldContainer.ReadListing(reader))
        {
            // Sockets do not travel (tar leaves them out), as in a whole tree.
            if (type != 's')
            {
                comparison.Present(name, type switch { 'd' => null, 'f' => EntryKind.File, 'l' => EntryKind.Link, _ => EntryKind.Other });
            }
        }
        while (reader.GetNextEntry() is { } entry)
        {
            if (comparison.Candidate(entry.Name) is { } path)
            {
                comparison.Compare(path, entry);
            }
        }
        return comparison.Result(listedOnly: true);
    }

    private static EntryKind? KindOf(TarEntryType type) => type switch
    {
        TarEntryType.Directory => null,
        TarEntryType.RegularFile or TarEntryType.V7RegularFile => EntryKind.File,
        TarEntryType.SymbolicLink => EntryKind.Link,
        _ => EntryKind.Other,
    };

    /// <summary>One comparison: what the agent's tree holds (<see cref="Present"/>), what changed (<see cref="Compare"/>), then the result.</summary>
    private sealed class Comparison
    {
        private readonly IReadOnlyDictionary<string, TreeEntry> _before;
        private readonly string _staging;
        private readonly List<ChangesetEntry> _entries = [];
        private readonly SortedSet<string> _git = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private readonly HashSet<string> _folders = new(StringComparer.Ordinal);
        private readonly HashSet<string> _files = new(StringComparer.Ordinal);
        private readonly HashSet<string> _compared = new(StringComparer.Ordinal);
        private readonly string _root = WorkspaceCopy.RootEntry + "/";
        private bool _sawRoot;
        private int _staged;

        public Comparison(IReadOnlyDictionary<string, TreeEntry> before, string staging)
        {
            (_before, _staging) = (before, staging);
            Directory.CreateDirectory(staging);
        }

        /// <summary>
        /// Records an entry of the agent's tree (a folder when <paramref name="kind"/> is null); its path relative to
        /// the workspace when its content is to be compared, else null (the root, git metadata, what is not copied).
        /// </summary>
        public string? Present(string name, EntryKind? kind)
        {
            var path = Candidate(name);
            if (path is null)
            {
                return null;
            }
            if (kind is null)
            {
                _folders.Add(path);
                return null;
            }
            _files.Add(path);
            _seen.Add(path);
            return path;
        }

        /// <summary>An entry's path relative to the workspace, unless it is the root, git metadata or not copied.</summary>
        public string? Candidate(string name)
        {
            name = name.TrimEnd('/');
            if (name == WorkspaceCopy.RootEntry)
            {
                _sawRoot = true;
                return null;
            }
            if (!name.StartsWith(_root, StringComparison.Ordinal))
            {
                return null;
            }
            var path = name[_root.Length..];
            var parts = path.Split('/');
            if (Array.FindIndex(parts, part => part.Equals(".git", StringComparison.OrdinalIgnoreCase)) is var at and >= 0)
            {
                _git.Add(string.Join('/', parts[..(at + 1)]));
                return null;
            }
            return WorkspaceCopy.IsNotCopied(path) ? null : path;
        }

        /// <summary>Compares an entry of the agent's tree with what was copied in, staging its content when it changed.</summary>
        public void Compare(string path, TarEntry entry)
        {
            _compared.Add(path);
            switch (KindOf(entry.EntryType))
            {
                case null:
                    break;
                case EntryKind.File:
                    var executable = (entry.Mode & UnixFileMode.UserExecute) != 0;
                    var staged = Path.Combine(_staging, (++_staged).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    var digest = Stage(entry, staged, out var kept);
                    if (!_before.TryGetValue(path, out var old) || old.IsLink || old.Digest != digest || old.Executable != executable)
                    {
                        kept?.Invoke();
                        _entries.Add(new ChangesetEntry(path, old is null ? FileChange.Added : FileChange.Modified, EntryKind.File, executable, staged));
                    }
                    else if (kept is null)
                    {
                        File.Delete(staged);
                    }
                    break;
                case EntryKind.Link:
                    if (!_before.TryGetValue(path, out var oldLink) || !oldLink.IsLink || oldLink.Digest != entry.LinkName)
                    {
                        _entries.Add(new ChangesetEntry(path, oldLink is null ? FileChange.Added : FileChange.Modified, EntryKind.Link, LinkTarget: entry.LinkName));
                    }
                    break;
                default:
                    _entries.Add(new ChangesetEntry(path, _before.ContainsKey(path) ? FileChange.Modified : FileChange.Added, EntryKind.Other,
                        LinkTarget: entry.EntryType == TarEntryType.HardLink ? entry.LinkName : null));
                    break;
            }
        }

        /// <param name="listedOnly">
        /// Entries were listed, and only the changed ones came back: one listed that neither went in nor came back
        /// would be lost without a word, so the answer is no tree.
        /// </param>
        public Changeset Result(bool listedOnly = false)
        {
            if (!_sawRoot)
            {
                // An empty answer would read as "the agent deleted everything".
                throw new WorkspaceNotReturnedException();
            }
            if (listedOnly && _seen.FirstOrDefault(path => !_compared.Contains(path) && !_before.ContainsKey(path)) is { } missing)
            {
                throw new WorkspaceNotReturnedException($"it lists {Common.Text.Loggable(missing)}, which neither went in nor came back");
            }
            // A bare repository's layout under any name: HEAD and config (files or links: git follows a config link) and objects.
            _git.UnionWith(_folders.Where(folder => _files.Contains($"{folder}/HEAD") && _files.Contains($"{folder}/config")
                && (_folders.Contains($"{folder}/objects") || _files.Contains($"{folder}/objects"))));
            if (_files.Contains("HEAD") && _files.Contains("config") && (_folders.Contains("objects") || _files.Contains("objects")))
            {
                _git.Add(".");
            }
            _entries.AddRange(_before.Keys.Where(path => !_seen.Contains(path) && !_git.Any(repository => path == repository || path.StartsWith(repository + "/", StringComparison.Ordinal)))
                .Select(path => new ChangesetEntry(path, FileChange.Deleted, _before[path].IsLink ? EntryKind.Link : EntryKind.File)));
            return new Changeset(_entries.OrderBy(entry => entry.Path, StringComparer.Ordinal).ToList(), _git.ToList());
        }
    }
}

/// <summary>The engine's answer held no workspace folder: no changeset can be made from it.</summary>
internal sealed class WorkspaceNotReturnedException(string reason = "the answer held no workspace folder") : Exception(reason);
