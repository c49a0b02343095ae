using AgentSandbox.Spec;
using Docker.DotNet.Models;

namespace AgentSandbox.Run;

/// <summary>
/// The one shape of every container AgentSandbox starts (the agent's, and the builds that verify its work):
/// no privileges, an init process, a pids limit, labels that find it again, and the project at the workspace path.
/// </summary>
public static class SandboxContainer
{
    public static CreateContainerParameters Create(
        AgentRunSpec spec, string imageTag, string purpose, IReadOnlyList<string> command, IList<string> environment, bool readOnlyWorkspace,
        string? workingDirectory = null, IReadOnlyCollection<string>? gitEntries = null) => new()
    {
        Name = $"agentsandbox-{spec.TargetName.ToLowerInvariant()}-{purpose}-{Guid.NewGuid():N}",
        Image = imageTag,
        // The command is an argument vector end to end: no shell ever sees the prompt.
        Entrypoint = [command[0]],
        Cmd = command.Skip(1).ToList(),
        Env = environment,
        WorkingDir = workingDirectory ?? spec.WorkingDirectory,
        AttachStdout = true,
        AttachStderr = true,
        Labels = new Dictionary<string, string>
        {
            ["org.agentsandbox.target"] = spec.TargetName,
            ["org.agentsandbox.project"] = spec.ProjectDirectory,
        },
        HostConfig = new HostConfig
        {
            Mounts = Mounts(spec.WorkspaceRoot, readOnlyWorkspace, gitEntries),
            NetworkMode = spec.Network,
            // Editing files and running builds need no privileges; the container gets none.
            CapDrop = ["ALL"],
            SecurityOpt = ["no-new-privileges"],
            PidsLimit = 4096,
            Init = true,
        },
    };

    /// <summary>
    /// The workspace root at the workspace path; every .git in it (the root's, nested repositories', submodules')
    /// read-only on top, so that the agent can read history but not plant hooks or configuration that the host's git
    /// would run. Git metadata the agent creates is removed after the run (<see cref="GuardHostStep"/>).
    /// </summary>
    /// <param name="gitEntries">The .git entries in the workspace, relative; null to look for the root's only.</param>
    private static List<Mount> Mounts(string workspaceRoot, bool readOnlyWorkspace, IReadOnlyCollection<string>? gitEntries)
    {
        var mounts = new List<Mount> { new() { Type = "bind", Source = workspaceRoot, Target = AgentRunSpec.WorkspacePath, ReadOnly = readOnlyWorkspace } };
        if (readOnlyWorkspace)
        {
            return mounts;
        }
        var rootGit = Path.Combine(workspaceRoot, ".git");
        var entries = gitEntries ?? (Directory.Exists(rootGit) || File.Exists(rootGit) ? [".git"] : []);
        mounts.AddRange(entries.Order(StringComparer.Ordinal).Select(entry => new Mount
        {
            Type = "bind",
            Source = Path.Combine(workspaceRoot, entry.Replace('/', Path.DirectorySeparatorChar)),
            Target = $"{AgentRunSpec.WorkspacePath}/{entry}",
            ReadOnly = true,
        }));
        return mounts;
    }
}
