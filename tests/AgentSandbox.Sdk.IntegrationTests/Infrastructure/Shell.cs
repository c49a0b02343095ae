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

    /// <summary>Containers AgentSandbox left behind for a project directory (there should be none).</summary>
    public static string LeftoverContainers(string projectDirectory) =>
        Run("docker", "ps", "-a", "-q", "--filter", $"label=org.agentsandbox.project={projectDirectory}").Output.Trim();
}
