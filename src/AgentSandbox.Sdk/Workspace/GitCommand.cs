using System.Diagnostics;

namespace AgentSandbox.Workspace;

/// <summary>The host's git, for what only git does well: diffs git apply takes, checkpoints, ignore rules.</summary>
internal static class GitCommand
{
    /// <summary>Who commits when AgentSandbox does (a checkpoint, a worktree's branch, a patch's scratch repository): not the user.</summary>
    public static readonly IReadOnlyList<string> AsAgentSandbox =
        ["-c", "user.name=AgentSandbox", "-c", "user.email=agentsandbox@localhost", "-c", "commit.gpgsign=false"];

    /// <returns>The exit code and standard output; null when git is not installed.</returns>
    public static (int ExitCode, string Output)? Run(string workingDirectory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        // Nothing of the user's git configuration may run here (an fsmonitor, a pager, hooks): only the command itself.
        // Nor a bare repository an agent laid out in the folder git starts from (git 2.38 and later honour this).
        foreach (var argument in (string[])["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat", "-c", "safe.bareRepository=explicit", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["LC_ALL"] = "C";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        try
        {
            using var process = Process.Start(start)!;
            // Read while writing: git answers a long input as it goes, and a full pipe would stop both sides.
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                try
                {
                    process.StandardInput.Write(input);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // git stopped before reading it all (not a repository, say): its exit code tells.
                }
            }
            process.WaitForExit();
            _ = errors.Result;
            return (process.ExitCode, output.Result);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
