using AgentSandbox.Common;

namespace AgentSandbox.Workspace;

/// <summary>Why the workspace is where it is: printed with the run, so that a surprising choice explains itself.</summary>
internal enum WorkspaceReason
{
    /// <summary>AgentWorkspaceRoot named it.</summary>
    Given,

    /// <summary>AgentWorkspace narrowed it to a folder of the project.</summary>
    Narrowed,

    /// <summary>The git repository the project is in (and it holds every build input found).</summary>
    Repository,

    /// <summary>The nearest folder holding the project and every build input found; no repository, or one they are not all in.</summary>
    BuildInputs,
}

/// <param name="Root">The host directory the sandbox sees as /workspace.</param>
/// <param name="LeftOut">Build inputs the workspace does not hold, because holding them would hand the agent a home or system folder.</param>
internal sealed record WorkspaceChoice(string Root, WorkspaceReason Reason, IReadOnlyList<string> LeftOut)
{
    /// <summary>The build user's home folder and the temporary folder: never a workspace, nor inside one.</summary>
    public static IReadOnlyList<string> ProtectedDirectories =>
        new[] { Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), Path.GetTempPath() }.Where(path => path.Length > 0).ToList();

    /// <summary>How the run's log explains the choice.</summary>
    public string Describe() => Reason switch
    {
        WorkspaceReason.Given => $"{Root} from AgentWorkspaceRoot",
        WorkspaceReason.Narrowed => $"{Root}, narrowed by AgentWorkspace",
        WorkspaceReason.Repository => $"{Root}, the git repository",
        _ => $"{Root}, which holds the project and what its build reads",
    };

    /// <summary>
    /// The folder the sandbox build needs: the repository root when the project is in a git repository, else the
    /// project's (or solution's) folder, widened to hold every input its build reads from above it (nuget.config files,
    /// global.json, Directory.Build.*, Directory.Packages.props, referenced projects). Local feeds do not widen it:
    /// those outside it are mounted read-only (<see cref="LocalFeeds"/>).
    /// Never the file system's root, a home folder or a folder above one, nor the temporary folder: an input only
    /// reachable that way is left out (and named), since the agent may read and change everything in the workspace.
    /// </summary>
    /// <param name="subjectDirectory">The project's directory, or the solution's in a solution-level run.</param>
    /// <param name="buildInputs">Files and folders the build reads, as MSBuild found them (may be empty strings or missing).</param>
    /// <param name="protectedDirectories">The home folder and the temporary folder, whose contents are not the project's.</param>
    public static WorkspaceChoice Choose(string subjectDirectory, IEnumerable<string> buildInputs, IReadOnlyList<string> protectedDirectories)
    {
        var subject = Normalize(subjectDirectory);
        bool Allowed(string directory) =>
            Path.GetPathRoot(directory) != directory
            && !protectedDirectories.Select(Normalize).Any(guarded => SandboxPaths.IsWithin(directory, guarded));

        var inputs = buildInputs.Where(input => !string.IsNullOrWhiteSpace(input))
            .Select(input => Normalize(Path.GetFullPath(input.Trim(), subject)))
            .Concat(DiscoveredInputs(subject))
            .Distinct(StringComparer.Ordinal)
            .Where(input => File.Exists(input) || Directory.Exists(input))
            .ToList();
        var root = subject;
        var leftOut = new List<string>();
        foreach (var input in inputs)
        {
            var folder = Directory.Exists(input) ? input : Path.GetDirectoryName(input)!;
            var widened = CommonAncestor(root, folder);
            if (Allowed(widened))
            {
                root = widened;
            }
            else
            {
                leftOut.Add(input);
            }
        }
        // The repository and the inputs' folder both hold the project: the workspace is the wider of the two.
        if (RepositoryRoot(subject) is { } repository && Allowed(repository) && SandboxPaths.IsWithin(repository, root))
        {
            return new WorkspaceChoice(repository, WorkspaceReason.Repository, leftOut);
        }
        return new WorkspaceChoice(root, WorkspaceReason.BuildInputs, leftOut);
    }

    /// <summary>What the build reads from the folders above the project without MSBuild naming it: nuget.config files and global.json.</summary>
    private static IEnumerable<string> DiscoveredInputs(string subject)
    {
        for (var directory = new DirectoryInfo(subject); directory is not null; directory = directory.Parent)
        {
            var globalJson = Path.Combine(directory.FullName, "global.json");
            if (File.Exists(globalJson))
            {
                yield return globalJson;
            }
        }
        foreach (var config in NuGetConfigs.AtOrAbove(subject))
        {
            yield return config;
        }
    }

    /// <summary>The nearest folder at or above <paramref name="directory"/> with a .git directory or file (a worktree or submodule).</summary>
    public static string? RepositoryRoot(string directory)
    {
        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            var git = Path.Combine(current.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git))
            {
                return Normalize(current.FullName);
            }
        }
        return null;
    }

    private static string CommonAncestor(string first, string second)
    {
        var ancestor = first;
        while (!SandboxPaths.IsWithin(ancestor, second) && Path.GetDirectoryName(ancestor) is { } parent)
        {
            ancestor = parent;
        }
        return ancestor;
    }

    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.GetPathRoot(full) == full ? full : Path.TrimEndingDirectorySeparator(full);
    }
}
