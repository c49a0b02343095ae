using System.Diagnostics;

namespace AgentSandbox.Sdk.IntegrationTests.Infrastructure;

/// <summary>Runs a command-line tool (docker, stat, dotnet) for what a test checks from the outside.</summary>
public static class Shell
{
    public static (int ExitCode, string Output) Run(string fileName, params string[] arguments) => RunIn(null, fileName, arguments);

    /// <summary>Runs in a directory, without the agent credentials other tests may have set in this process.</summary>
    public static (int ExitCode, string Output) RunIn(string? workingDirectory, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var name in EnvironmentScope.AgentVariables)
        {
            start.Environment.Remove(name);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>"uid:gid" of a file.</summary>
    public static string Owner(string path) => Run("stat", "-c", "%u:%g", path).Output.Trim();

    /// <summary>
    /// Removes the volumes runs kept for workspaces under <paramref name="folder"/> (package caches, sessions): a test's
    /// workspace is gone with the test, and so must be what the engine keeps for it. Nothing when no engine answers.
    /// </summary>
    public static void RemoveKeptVolumes(string folder)
    {
        var (exitCode, listed) = Run("sh", "-c",
            "docker volume ls -q --filter label=org.agentsandbox.cache | xargs -r docker volume inspect --format '{{.Name}} {{index .Labels \"org.agentsandbox.workspace\"}}'");
        if (exitCode != 0)
        {
            return;
        }
        var prefix = Path.TrimEndingDirectorySeparator(folder);
        foreach (var line in listed.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Trim().Split(' ', 2);
            if (parts.Length == 2 && (parts[1] == prefix || parts[1].StartsWith(prefix + "/", StringComparison.Ordinal)))
            {
                Run("docker", "volume", "rm", "-f", parts[0]);
            }
        }
    }

    /// <summary>Containers AgentSandbox left behind for a project directory (there should be none).</summary>
    public static string LeftoverContainers(string projectDirectory) =>
        Run("docker", "ps", "-a", "-q", "--filter", $"label=org.agentsandbox.project={projectDirectory}").Output.Trim();
}
