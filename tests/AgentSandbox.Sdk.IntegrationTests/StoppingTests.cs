using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// A run stopped from outside on a real engine: SIGTERM, SIGHUP and Ctrl+C of a real `dotnet build`, and AgentTimeout.
/// Each removes the run's containers, proxy and networks within seconds, fails with a coded error, and applies nothing.
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed class StoppingTests
{
    /// <summary>An agent that changes the tree at once and then takes its time.</summary>
    private static readonly (string, string)[] SlowAgent =
        [("AgentKind", "custom"), ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;echo x > New.txt && sed -i s/World/Stopped/ Program.cs && echo started && sleep 120")];

    [DockerTheory]
    [InlineData("TERM", "SIGTERM")]
    [InlineData("HUP", "SIGHUP")]
    [InlineData("INT", "Ctrl+C")]
    public void A_signal_to_the_build_stops_the_run_within_seconds_with_AGS4020_and_nothing_applied(string signal, string reason)
    {
        using var project = new TestProject();
        var output = new StringBuilder();
        using var build = StartBuild(project, output, SandboxProperties.ForTests(SlowAgent));

        Assert.True(WaitFor(() => Has(output, "custom: started"), TimeSpan.FromMinutes(3)), output.ToString());
        var stopwatch = Stopwatch.StartNew();
        Shell.Run("kill", $"-{signal}", build.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(WaitFor(() => Shell.LeftoverContainers(project.Directory) == "" && TestNetwork.Leftovers(project.Directory) == "", TimeSpan.FromSeconds(30)),
            $"after 30 s: containers [{Shell.LeftoverContainers(project.Directory)}], networks and volumes [{TestNetwork.Leftovers(project.Directory)}], the build {(build.HasExited ? "ended" : "still running")}; it said:\n{output}");
        var cleanedUp = stopwatch.Elapsed;
        Assert.True(build.WaitForExit(TimeSpan.FromSeconds(30)), output.ToString());
        build.WaitForExit();

        Assert.True(cleanedUp < TimeSpan.FromSeconds(5), $"the run's containers and networks were gone {cleanedUp.TotalSeconds:0.0} s after SIG{signal}");
        Assert.NotEqual(0, build.ExitCode);
        var text = output.ToString();
        Assert.Contains("error AGS4020", text);
        Assert.Contains(reason, text);
        Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.False(File.Exists(Path.Combine(project.Directory, "New.txt")));
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
        Assert.Equal("AGS4020", result.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [DockerFact]
    public void What_a_build_killed_outright_left_is_removed_by_the_next_run_and_AgentSandboxClean_removes_all_of_ours()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var killed = new TestProject();
        var output = new StringBuilder();
        using (var build = StartBuild(killed, output, SandboxProperties.ForTests(SlowAgent)))
        {
            Assert.True(WaitFor(() => Has(output, "custom: started"), TimeSpan.FromMinutes(3)), output.ToString());
            build.Kill();
            build.WaitForExit();
        }
        // SIGKILL: nothing of the build could clean up.
        Assert.NotEqual("", Shell.LeftoverContainers(killed.Directory));
        Assert.NotEqual("", TestNetwork.Leftovers(killed.Directory));

        using var next = new TestProject();
        var run = next.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"), ("AgentCommand", "true")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal("", Shell.LeftoverContainers(killed.Directory));
        Assert.Equal("", TestNetwork.Leftovers(killed.Directory));
        Assert.Contains(run.Messages, message => message.Text.StartsWith("Removed 2 containers and 1 volume that builds no longer running left behind", StringComparison.Ordinal));

        // A container of ours whose build still runs (this test process's own, by its labels) goes only on demand.
        var labels = new[] { "org.agentsandbox.version=test", $"org.agentsandbox.project={next.Directory}" };
        var started = Shell.Run("docker", ["run", "-d", .. labels.SelectMany(label => new[] { "--label", label }), TestDocker.BaseImage, "sleep", "120"]);
        Assert.Equal(0, started.ExitCode);
        Assert.NotEqual("", Shell.LeftoverContainers(next.Directory));
        var clean = next.Build("AgentSandboxClean");
        Assert.True(clean.Succeeded, clean.Log);
        Assert.Equal("", Shell.LeftoverContainers(next.Directory));
        Assert.Contains(clean.Messages, message => message.Text.StartsWith("AgentSandboxClean: removed ", StringComparison.Ordinal));
    }

    [DockerFact]
    public async Task A_container_killed_from_outside_is_AGS4023_and_nothing_is_applied()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var build = Task.Run(() => project.Build("AgentRun", SandboxProperties.ForTests([.. SlowAgent, ("AgentNetwork", "none")])));
        string id = "";
        for (var attempt = 0; attempt < 600 && id.Length == 0 && !build.IsCompleted; attempt++)
        {
            await Task.Delay(100);
            id = Shell.Run("docker", "ps", "-q", "--filter", $"label=org.agentsandbox.project={project.Directory}", "--filter", "label=org.agentsandbox.purpose=agent").Output.Trim();
        }
        await Task.Delay(2000);
        Shell.Run("docker", "kill", id);
        var run = await build;

        Assert.False(run.Succeeded, run.Log);
        Assert.Equal("AGS4023", Assert.Single(run.Errors).Code);
        Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Equal("", Shell.LeftoverContainers(project.Directory));
    }

    [DockerFact]
    public void AgentTimeout_stops_the_run_with_AGS4021_naming_it()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        var stopwatch = Stopwatch.StartNew();

        var run = project.Build("AgentRun", SandboxProperties.ForTests([.. SlowAgent, ("AgentTimeout", "20s")]));

        Assert.False(run.Succeeded, run.Log);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"the build took {stopwatch.Elapsed.TotalSeconds:0} s");
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4021", error.Code);
        Assert.Contains("AgentTimeout (20s)", error.Text);
        Assert.Contains("Hello, World!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Equal("", Shell.LeftoverContainers(project.Directory));
        Assert.Equal("", TestNetwork.Leftovers(project.Directory));
    }

    [DockerFact]
    public void The_build_stays_within_50_MB_more_memory_while_the_agent_prints_200_MB_or_one_endless_line()
    {
        using var project = new TestProject();
        // Whole-process peak memory of the build, with an agent that prints one line and with one that prints 200 MB in
        // lines of 1 KiB, both as long as each other.
        // The kernel's own account of the process's largest resident size over its whole life (GNU time's %M, in KiB).
        long PeakOf(string command, Action<string>? check = null)
        {
            var output = new StringBuilder();
            using var build = StartBuild(project, output, SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Print"),
                ("AgentCommand", command)), measured: true);
            build.WaitForExit();
            var text = output.ToString();
            Assert.True(build.ExitCode == 0, text);
            check?.Invoke(text);
            var peak = text.Split('\n').Last(line => line.StartsWith("agentsandbox-peak-kib ", StringComparison.Ordinal));
            return long.Parse(peak["agentsandbox-peak-kib ".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        var quiet = PeakOf("sh;-c;sleep 20 && echo one line");
        var loud = PeakOf("sh;-c;head -c 209715200 /dev/zero | tr '\\0' x | fold -w 1024",
            output => Assert.Contains("the agent has printed more than 5000 lines; the rest appear with -v:detailed only.", output));
        Assert.True(loud - quiet < 50 * 1024, $"peak {quiet / 1024} MiB quiet, {loud / 1024} MiB while the agent printed 200 MB");

        // A line without end is cut at 1 MiB (a unit test reads the note), the build's log shows its beginning, and the
        // memory stays as flat.
        var endless = PeakOf("sh;-c;head -c 104857600 /dev/zero | tr '\\0' y && echo", output => Assert.Contains("more characters with -v:detailed)", output));
        Console.WriteLine($"build peak memory: {quiet / 1024} MiB quiet, {loud / 1024} MiB while the agent printed 200 MB in lines, {endless / 1024} MiB for one line of 100 MB");
        Assert.True(endless - quiet < 50 * 1024, $"peak {quiet / 1024} MiB quiet, {endless / 1024} MiB while the agent printed one line of 100 MB");
    }

    /// <summary>`dotnet build -t:AgentRun` as a user's shell would start it, its output collected as it comes.</summary>
    /// <param name="measured">Under GNU time, which prints the build's peak memory as "agentsandbox-peak-kib N" when it ends.</param>
    internal static Process StartBuild(TestProject project, StringBuilder output, IDictionary<string, string> properties, bool measured = false)
    {
        // A test run started in the background (`dotnet test &` from a script) inherits SIGINT ignored, and .NET then
        // leaves it so: the build would never see the test's Ctrl+C. GNU env gives it back its default first.
        string[] command = [.. InterruptRestored ? ["env", "--default-signal=INT"] : Array.Empty<string>(), .. measured ? ["/usr/bin/time", "-f", "agentsandbox-peak-kib %M"] : Array.Empty<string>(), "dotnet"];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = project.Directory };
        foreach (var argument in command.Skip(1).Concat(["build", project.ProjectPath, "-t:AgentRun", "-nodeReuse:false", "-tl:off", "-v:n"])
            .Concat(properties.Select(property => $"-p:{property.Key}={property.Value.Replace(";", "%3B", StringComparison.Ordinal)}")))
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var name in start.Environment.Keys.Where(name => name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("_MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) => { lock (output) output.AppendLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { lock (output) output.AppendLine(line.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static readonly bool InterruptRestored = Shell.Run("env", "--default-signal=INT", "true").ExitCode == 0;

    internal static bool Has(StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    internal static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(100);
        }
        return condition();
    }
}
