using System.Security.Cryptography;

namespace AgentSandbox.Run;

public enum FileChange
{
    Modified,
    Added,
    Deleted,
}

/// <param name="Path">Relative to the project directory, with forward slashes.</param>
public sealed record ChangedFile(string Path, FileChange Change);

/// <summary>
/// The content hashes of every file under the project, to tell afterwards what the agent changed.
/// Content, not timestamps: a rewrite with the same text is no change, an edit that keeps the size is one.
/// </summary>
public sealed class WorkspaceSnapshot
{
    /// <summary>Build output and tool state, which a build inside the sandbox churns and nobody reviews.</summary>
    private static readonly IReadOnlySet<string> IgnoredDirectories = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".git", ".vs", "bin" };

    /// <summary>
    /// Intermediate output is ignored too, except its .props and .targets files: the next build on the host imports
    /// them (NuGet's generated imports), so a change to them must be seen like a change to the project file.
    /// </summary>
    private const string IntermediateDirectory = "obj";
    private static readonly string[] BuildImportExtensions = [".props", ".targets"];

    // Dotfiles count (.editorconfig, .github/...); directories the build user cannot read are passed over.
    private static readonly EnumerationOptions Listing = new() { IgnoreInaccessible = true, AttributesToSkip = 0 };

    private readonly Dictionary<string, string> _hashes;

    private WorkspaceSnapshot(Dictionary<string, string> hashes) => _hashes = hashes;

    public int FileCount => _hashes.Count;

    public static WorkspaceSnapshot Take(string root)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<(DirectoryInfo Directory, bool BuildImportsOnly)>([(new DirectoryInfo(root), false)]);
        while (pending.TryPop(out var current))
        {
            var (directory, buildImportsOnly) = current;
            foreach (var entry in directory.EnumerateFileSystemInfos("*", Listing))
            {
                // Links are not followed: a link out of the project is not the project.
                if (entry.LinkTarget is not null)
                {
                    continue;
                }
                if (entry is DirectoryInfo child)
                {
                    if (child.Name.Equals(IntermediateDirectory, StringComparison.OrdinalIgnoreCase))
                    {
                        pending.Push((child, true));
                    }
                    else if (!IgnoredDirectories.Contains(child.Name))
                    {
                        pending.Push((child, buildImportsOnly));
                    }
                }
                else if (entry is FileInfo file
                    && (!buildImportsOnly || BuildImportExtensions.Contains(file.Extension, StringComparer.OrdinalIgnoreCase))
                    && TryHash(file) is { } hash)
                {
                    hashes[Path.GetRelativePath(root, file.FullName).Replace('\\', '/')] = hash;
                }
            }
        }
        return new WorkspaceSnapshot(hashes);
    }

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

    private static string? TryHash(FileInfo file)
    {
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
