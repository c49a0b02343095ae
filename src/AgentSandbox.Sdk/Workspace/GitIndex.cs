using System.Buffers.Binary;

namespace AgentSandbox.Workspace;

/// <summary>
/// A repository's index file (git's format 2 to 4), read just far enough to tell whether a copy of it can stand for
/// the working tree's file stats: then git add reads only the files changed since it was written, where an index of
/// HEAD's tree alone (no stats) makes it read and hash every file of the tree.
/// </summary>
internal static class GitIndex
{
    private const ushort AssumeValid = 0x8000;
    private const ushort Extended = 0x4000;

    /// <summary>
    /// Copies the index of the repository at <paramref name="repositoryRoot"/> to <paramref name="copy"/>, with its
    /// time: git takes an entry written within the index's own second for one that may have changed since, and a
    /// later time on the copy would hide such a change. Not when an entry takes the index's word over the disk's
    /// (assume-unchanged, skip-worktree, a sparse index's folder), is only intended (intent-to-add), or lives in a
    /// shared index (split index); nor an index this cannot read through.
    /// </summary>
    /// <returns>Whether the copy was made.</returns>
    public static bool TryCopyPlain(string repositoryRoot, string copy)
    {
        try
        {
            // A file of its own, read up to the size it had: never a link, a pipe or a device, which an agent could
            // have laid out in a tree that is no repository.
            if (GitDirectory(repositoryRoot) is not { } gitDirectory
                || new FileInfo(Path.Combine(gitDirectory, "index")) is not { Exists: true, LinkTarget: null, Length: >= 12 and <= LargestIndex } index)
            {
                return false;
            }
            // The time first: an index replaced meanwhile then has a newer one than its copy says, which only makes git
            // check more entries.
            var written = index.LastWriteTimeUtc;
            var bytes = new byte[index.Length];
            using (var stream = new FileStream(index.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                stream.ReadExactly(bytes);
            }
            if (!IsPlain(bytes))
            {
                return false;
            }
            File.WriteAllBytes(copy, bytes);
            File.SetLastWriteTimeUtc(copy, written);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Unreadable, or cut short while it was read (EndOfStreamException is an IOException).
            return false;
        }
    }

    /// <summary>Larger indexes (millions of files) are left to git: HEAD's tree, every file read.</summary>
    private const long LargestIndex = 512L * 1024 * 1024;

    /// <summary>The repository's own folder: .git, or the folder a .git file names (a worktree, a submodule).</summary>
    private static string? GitDirectory(string repositoryRoot)
    {
        var git = Path.Combine(repositoryRoot, ".git");
        if (Directory.Exists(git))
        {
            return git;
        }
        if (new FileInfo(git) is not { Exists: true, LinkTarget: null, Length: > 0 and <= 4096 })
        {
            return null;
        }
        var line = File.ReadAllText(git).Trim();
        return line.StartsWith("gitdir: ", StringComparison.Ordinal) ? Path.GetFullPath(line["gitdir: ".Length..], repositoryRoot) : null;
    }

    /// <summary>An index whose entries are all plain: read through to its checksum, with either object-name size (SHA-1, SHA-256).</summary>
    internal static bool IsPlain(ReadOnlySpan<byte> index)
    {
        if (index.Length < 12 || !index[..4].SequenceEqual("DIRC"u8))
        {
            return false;
        }
        var version = BinaryPrimitives.ReadUInt32BigEndian(index[4..]);
        var count = BinaryPrimitives.ReadUInt32BigEndian(index[8..]);
        if (version is < 2 or > 4)
        {
            return false;
        }
        foreach (var hashSize in (ReadOnlySpan<int>)[20, 32])
        {
            if (Read(index, version, count, hashSize) is { } plain)
            {
                return plain;
            }
        }
        return false;
    }

    /// <returns>Whether every entry is plain; null when the bytes are no index with object names of <paramref name="hashSize"/> bytes.</returns>
    private static bool? Read(ReadOnlySpan<byte> index, uint version, uint count, int hashSize)
    {
        var end = index.Length - hashSize;
        var position = 12;
        var plain = true;
        for (var entry = 0u; entry < count; entry++)
        {
            // Times, device, inode, mode, owner, group and size (40 bytes), the object name, then the flags.
            var start = position;
            position += 40 + hashSize;
            if (position + 2 > end)
            {
                return null;
            }
            var flags = BinaryPrimitives.ReadUInt16BigEndian(index[position..]);
            position += 2;
            if ((flags & Extended) != 0)
            {
                // Format 3 and later: skip-worktree, intent-to-add, or bits not yet defined.
                if (version < 3)
                {
                    return null;
                }
                position += 2;
                plain = false;
            }
            if ((flags & AssumeValid) != 0)
            {
                plain = false;
            }
            if (version == 4)
            {
                // The name as a prefix of the previous one to drop (a variable-length number) and what follows it.
                while (position < end && (index[position] & 0x80) != 0)
                {
                    position++;
                }
                position++;
            }
            var nameLength = position < end ? index[position..end].IndexOf((byte)0) : -1;
            if (nameLength < 0)
            {
                return null;
            }
            position += nameLength + 1;
            if (version < 4)
            {
                // Padded with NULs to a multiple of eight bytes, at least one.
                var padded = start + ((position - 1 - start + 8) & ~7);
                if (padded > end || index[position..padded].ContainsAnyExcept((byte)0))
                {
                    return null;
                }
                position = padded;
            }
        }
        while (position < end)
        {
            if (position + 8 > end)
            {
                return null;
            }
            // An extension git may ignore is named in capitals; one it must understand (a split or sparse index) is not.
            if (index[position] is < (byte)'A' or > (byte)'Z')
            {
                plain = false;
            }
            var size = BinaryPrimitives.ReadUInt32BigEndian(index[(position + 4)..]);
            if (size > (uint)(end - position - 8))
            {
                return null;
            }
            position += 8 + (int)size;
        }
        return position == end ? plain : null;
    }
}
