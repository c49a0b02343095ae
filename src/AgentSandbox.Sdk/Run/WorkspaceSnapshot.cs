using System.Security.Cryptography;

namespace AgentSandbox.Run;

public enum FileChange
{
    Modified,
    Added,
    Deleted,
}

/// <param name="Path">Relative to the workspace root, with forward slashes.</param>
public sealed record ChangedFile(string Path, FileChange Change);

/// <summary>
/// The content hashes of every file under the workspace, to tell afterwards what the agent changed. Content, not
/// timestamps: a rewrite with the same text is no change, an edit that keeps the size is one. Besides, where git
/// metadata is (which the host's git obeys) and the size and time of build output (which the host's next build may
/// use without compiling), to tell what the agent planted there.
/// </summary>
public sealed class WorkspaceSnapshot
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

    // Dotfiles count (.editorconfig, .github/...); directories the build user cannot read are passed over.
    private static readonly EnumerationOptions Listing = new() { IgnoreInaccessible = true, AttributesToSkip = 0 };

    private readonly Dictionary<string, string> _hashes;
    private readonly Dictionary<string, (long Length, DateTime Written)> _buildOutput;
    private readonly HashSet<string> _gitEntries;

    private WorkspaceSnapshot(Dictionary<string, string> hashes, Dictionary<string, (long, DateTime)> buildOutput, HashSet<string> gitEntries) =>
        (_hashes, _buildOutput, _gitEntries) = (hashes, buildOutput, gitEntries);

    public int FileCount => _hashes.Count;

    /// <summary>Every .git directory or file (worktrees, submodules) in the workspace, relative, with forward slashes.</summary>
    public IReadOnlyCollection<string> GitEntries => _gitEntries;

    public static WorkspaceSnapshot Take(string root)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var buildOutput = new Dictionary<string, (long, DateTime)>(StringComparer.Ordinal);
        var gitEntries = new HashSet<string>(StringComparer.Ordinal);
        string Relative(FileSystemInfo entry) => Path.GetRelativePath(root, entry.FullName).Replace('\\', '/');

        var pending = new Stack<(DirectoryInfo Directory, bool InBuildOutput)>([(new DirectoryInfo(root), false)]);
        while (pending.TryPop(out var current))
        {
            var (directory, inBuildOutput) = current;
            foreach (var entry in directory.EnumerateFileSystemInfos("*", Listing))
            {
                if (entry.Name.Equals(GitDirectory, StringComparison.OrdinalIgnoreCase))
                {
                    gitEntries.Add(Relative(entry));
                }
                // Links are not followed: a link out of the project is not the project.
                else if (entry.LinkTarget is not null)
                {
                    continue;
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
                        buildOutput[Relative(file)] = (file.Length, file.LastWriteTimeUtc);
                    }
                    else if (TryHash(file) is { } hash)
                    {
                        hashes[Relative(file)] = hash;
                    }
                }
            }
        }
        return new WorkspaceSnapshot(hashes, buildOutput, gitEntries);
    }

    /// <summary>Git metadata that was not there before: a repository the host's git would obey (hooks, core.fsmonitor).</summary>
    public IReadOnlyList<string> NewGitEntries(WorkspaceSnapshot after) =>
        after._gitEntries.Where(entry => !_gitEntries.Contains(entry)).Order(StringComparer.Ordinal).ToList();

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
