using System.Diagnostics;
using System.Text.RegularExpressions;
using AgentSandbox.Sdk.IntegrationTests.Fakes;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;
using AgentSandbox.Sdk.TestSupport;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// README's sample as a new user runs it: its commands exactly as README prints them, in an interactive terminal (a
/// pseudo-terminal with a window size, so that the terminal logger is on), against the packed package.
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed partial class ReadmeSampleTests
{
    private const string DefaultBaseImage = "mcr.microsoft.com/dotnet/sdk:10.0";

    [DockerFact]
    public async Task The_sample_commands_as_printed_run_the_agent_and_the_terminal_logger_shows_the_result_and_what_changed()
    {
        var commands = SampleCommands();
        Assert.Equal("export ANTHROPIC_API_KEY=sk-ant-...", commands[0]);
        Assert.Contains(commands, command => command.StartsWith("dotnet build -t:AgentRun ", StringComparison.Ordinal));
        // The key README exports, literally: the fake API accepts only it.
        await using var api = FakeAnthropicApi.Start(
        [
            new ToolUseTurn("Edit", new { file_path = "/workspace/samples/HelloAgent/Program.cs", old_string = "$\"Hello, {name}!\"", new_string = "$\"Hello, {name}! Today is {DateTime.Today:d}.\"" }),
            new TextTurn("The greeting mentions the date."),
        ], "sk-ant-...");
        var program = Repository.File("samples/HelloAgent/Program.cs");
        var original = File.ReadAllText(program);
        // No registry here: the stand-in SDK image answers to the default base image's name for the test's length.
        var tagged = Shell.Run("docker", "image", "inspect", DefaultBaseImage).ExitCode != 0
            && Shell.Run("docker", "tag", TestDocker.SdkImage, DefaultBaseImage).ExitCode == 0;
        try
        {
            var (exitCode, output) = RunInTerminal(Repository.Root, string.Join(" && ", commands), new Dictionary<string, string?>
            {
                // What the machine provides, not what README says to type: the fake API on loopback (so the host
                // network), and the registries for the image's RUN steps.
                ["ANTHROPIC_BASE_URL"] = api.BaseUrl.ToString().TrimEnd('/'),
                ["AgentNetwork"] = "host",
                ["AgentBuildNetwork"] = "host",
            });

            var screen = Plain(output);
            Assert.True(exitCode == 0, screen);
            // The terminal logger, not the classic console logger, printed this.
            Assert.DoesNotContain("Determining projects to restore", screen);
            Assert.Contains("Today is {DateTime.Today:d}.", File.ReadAllText(program));
            Assert.Matches(@"\n  HelloAgent net10\.0 succeeded[^\n]*→ obj/agent/AgentRun/result\.json \(1 file changed: Program\.cs\)\n", screen);
        }
        finally
        {
            File.WriteAllText(program, original);
            if (tagged)
            {
                Shell.Run("docker", "rmi", DefaultBaseImage);
            }
        }
    }

    /// <summary>The lines of the first sh block under "Run an agent on a sample".</summary>
    private static IReadOnlyList<string> SampleCommands()
    {
        var readme = File.ReadAllText(Repository.File("README.md"));
        var section = readme[readme.IndexOf("## Run an agent on a sample", StringComparison.Ordinal)..];
        var block = section[(section.IndexOf("```sh\n", StringComparison.Ordinal) + 6)..];
        return block[..block.IndexOf("```", StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// Runs a bash command line in a pseudo-terminal of 160x50 (util-linux script), as typed at a prompt: the terminal
    /// logger is on only with a window size and without a CI system's variables.
    /// </summary>
    private static (int ExitCode, string Output) RunInTerminal(string directory, string commandLine, IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var argument in new[] { "-q", "-e", "-c", $"stty cols 160 rows 50; {commandLine}", "/dev/null" })
        {
            start.ArgumentList.Add(argument);
        }
        // A user's shell: no CI system, and nothing the test host or MSBuild Locator set for MSBuild (dotnet test's
        // _MSBUILDTLENABLED=0 alone turns the terminal logger off).
        var notAUsers = start.Environment.Keys.Where(name =>
            name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("_MSBUILD", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var name in EnvironmentScope.AgentVariables.Concat(["CI", "GITHUB_ACTIONS", "TF_BUILD", "BUILD_ID"]).Concat(notAUsers))
        {
            start.Environment.Remove(name);
        }
        // A terminal that understands escape sequences, whatever ran the tests (dotnet test's own host has none).
        start.Environment["TERM"] = "xterm-256color";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>The text a terminal shows: without escape sequences (links, colours, cursor moves) and carriage returns.</summary>
    private static string Plain(string output) => Escapes().Replace(output, "").Replace("\r", "");

    [GeneratedRegex(@"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]")]
    private static partial Regex Escapes();
}
