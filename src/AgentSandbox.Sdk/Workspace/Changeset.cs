using System.Formats.Tar;
using System.Security.Cryptography;

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
        Directory.CreateDirectory(staging);
        var entries = new List<ChangesetEntry>();
        var git = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        var files = new HashSet<string>(StringComparer.Ordinal);
        var root = WorkspaceCopy.RootEntry + "/";
        var sawRoot = false;
        using (var stream = File.OpenRead(tree))
        using (var reader = new TarReader(stream))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                var name = entry.Name.TrimEnd('/');
                if (name == WorkspaceCopy.RootEntry)
                {
                    sawRoot = true;
                    continue;
                }
                if (!name.StartsWith(root, StringComparison.Ordinal))
                {
                    continue;
                }
                var path = name[root.Length..];
                var parts = path.Split('/');
                if (Array.FindIndex(parts, part => part.Equals(".git", StringComparison.OrdinalIgnoreCase)) is var at and >= 0)
                {
                    git.Add(string.Join('/', parts[..(at + 1)]));
                    continue;
                }
                if (WorkspaceCopy.IsNotCopied(path))
                {
                    continue;
                }
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        folders.Add(path);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        files.Add(path);
                        seen.Add(path);
                        var executable = (entry.Mode & UnixFileMode.UserExecute) != 0;
                        var staged = Path.Combine(staging, seen.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        var digest = Stage(entry, staged, out var kept);
                        if (!before.TryGetValue(path, out var old) || old.IsLink || old.Digest != digest || old.Executable != executable)
                        {
                            kept?.Invoke();
                            entries.Add(new ChangesetEntry(path, old is null ? FileChange.Added : FileChange.Modified, EntryKind.File, executable, staged));
                        }
                        else if (kept is null)
                        {
                            File.Delete(staged);
                        }
                        break;
                    case TarEntryType.SymbolicLink:
                        files.Add(path);
                        seen.Add(path);
                        if (!before.TryGetValue(path, out var oldLink) || !oldLink.IsLink || oldLink.Digest != entry.LinkName)
                        {
                            entries.Add(new ChangesetEntry(path, oldLink is null ? FileChange.Added : FileChange.Modified, EntryKind.Link, LinkTarget: entry.LinkName));
                        }
                        break;
                    default:
                        files.Add(path);
                        seen.Add(path);
                        entries.Add(new ChangesetEntry(path, before.ContainsKey(path) ? FileChange.Modified : FileChange.Added, EntryKind.Other,
                            LinkTarget: entry.EntryType == TarEntryType.HardLink ? entry.LinkName : null));
                        break;
                }
            }
        }
        if (!sawRoot)
        {
            // An empty answer would read as "the agent deleted everything".
            throw new WorkspaceNotReturnedException();
        }
        // A bare repository's layout under any name: HEAD and config (files or links: git follows a config link) and objects.
        git.UnionWith(folders.Where(folder => files.Contains($"{folder}/HEAD") && files.Contains($"{folder}/config")
            && (folders.Contains($"{folder}/objects") || files.Contains($"{folder}/objects"))));
        if (files.Contains("HEAD") && files.Contains("config") && (folders.Contains("objects") || files.Contains("objects")))
        {
            git.Add(".");
        }
        entries.AddRange(before.Keys.Where(path => !seen.Contains(path) && !git.Any(repository => path == repository || path.StartsWith(repository + "/", StringComparison.Ordinal)))
            .Select(path => new ChangesetEntry(path, FileChange.Deleted, before[path].IsLink ? EntryKind.Link : EntryKind.File)));
        return new Changeset(entries.OrderBy(entry => entry.Path, StringComparer.Ordinal).ToList(), git.ToList());
    }
}

/// <summary>The engine's answer held no workspace folder: no changeset can be made from it.</summary>
internal sealed class WorkspaceNotReturnedException() : Exception("the answer held no workspace folder");
