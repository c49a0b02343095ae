using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>dotnet build Sol.slnx -t:AgentRun, as a user types it: one agent for the whole solution, not one per project.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class SolutionTests
{
    [DockerFact]
    public void A_solution_level_run_runs_one_agent_for_the_solution_from_its_folder_and_names_it()
    {
        using var app = new TestProject(name: "App", extraItems: "<ProjectReference Include=\"../Lib/Lib.csproj\" />");
        var root = WriteSolution(app, "Lib", "Tools");
        // The agent appends a line where it runs: one line in the solution's folder is one agent, run from there.
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), $"""
            <Project>
              <PropertyGroup>
                <AgentBaseImage>{TestDocker.BaseImage}</AgentBaseImage>
                <AgentBuildNetwork>host</AgentBuildNetwork>
                <AgentNetwork>none</AgentNetwork>
                <AgentKind>custom</AgentKind>
                <AgentCommand>sh;-c;echo "$1" >> runs.txt;agent;{"{prompt}"}</AgentCommand>
              </PropertyGroup>
            </Project>
            """);

        // As typed in a terminal: the CLI builds the solution's projects in parallel (-m).
        var (exitCode, output) = Shell.RunIn(root, "dotnet", "build", "Sol.slnx", "-t:AgentRun", "-p:AgentPrompt=Tidy the solution", "-tl:off", "-v:n", "-nodeReuse:false");

        Assert.True(exitCode == 0, output);
        Assert.Equal(["Tidy the solution"], File.ReadAllLines(Path.Combine(root, "runs.txt")));
        Assert.Contains("AgentRun for Sol.slnx: running custom agent 'sh'", output);
        Assert.Contains("AgentRun for Sol.slnx: custom agent 'sh' succeeded", output);
        Assert.Contains("AgentRun for Sol.slnx runs once for the whole solution, in App: nothing to do in Lib.", output);
        Assert.Contains("AgentRun for Sol.slnx runs once for the whole solution, in App: nothing to do in Tools.", output);
        Assert.Contains("  added: runs.txt", output);

        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.SandboxDirectory, "AgentRun", "result.json")));
        Assert.Equal("App", result.RootElement.GetProperty("project").GetString());
        Assert.Equal("Sol.slnx", result.RootElement.GetProperty("solution").GetString());
        Assert.Equal("runs.txt", Assert.Single(result.RootElement.GetProperty("changedFiles").EnumerateArray()).GetProperty("path").GetString());
        Assert.False(File.Exists(Path.Combine(root, "Lib", "obj", "agent", "AgentRun", "result.json")));
    }

    [DockerFact]
    public void Three_projects_run_their_agents_at_once_build_the_image_once_and_a_conflicting_change_fails_with_its_patch_kept()
    {
        using var first = new TestProject(name: "A");
        var root = WriteSolution(first, "B", "C");
        File.WriteAllText(Path.Combine(root, "shared.txt"), "shared\n");
        // A new image for this test alone (its install step names it), and one workspace for the three projects.
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), $$"""
            <Project>
              <PropertyGroup>
                <AgentBaseImage>{{TestDocker.BaseImage}}</AgentBaseImage>
                <AgentBuildNetwork>host</AgentBuildNetwork>
                <AgentKind>custom</AgentKind>
                <AgentInstallCommand>echo parallel-{{Guid.NewGuid():N}}</AgentInstallCommand>
                <AgentWorkspaceRoot>{{root}}</AgentWorkspaceRoot>
                <AgentCommand>sh;-c;date +%s > /workspace/started-$(MSBuildProjectName).txt &amp;&amp; sleep 6 &amp;&amp; echo $(MSBuildProjectName) >> /workspace/shared.txt</AgentCommand>
              </PropertyGroup>
            </Project>
            """);

        // One agent per project, at once, over the solution: three on two MSBuild nodes, as a node whose agent runs
        // builds the next project meanwhile (MSBuild allows one request more than nodes to run beside yielded ones).
        var (exitCode, output) = Shell.RunIn(root, "dotnet", "build", "Sol.slnx", "-m:2", "-t:AgentRun", "-p:AgentRunPerProject=true", "-p:AgentPrompt=Sign the file",
            "-tl:off", "-v:n", "-nodeReuse:false");

        // The image was built by one build; the others waited for it and found it.
        Assert.Single(output.Split('\n'), line => line.Contains("Building sandbox image", StringComparison.Ordinal));
        // The three agents ran at once: each started before any other had finished its six seconds.
        var starts = new[] { "A", "B", "C" }.Select(name => long.Parse(File.Exists(Path.Combine(root, $"started-{name}.txt"))
            ? File.ReadAllText(Path.Combine(root, $"started-{name}.txt")) : ReadFromPatch(root, name), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(starts.Max() - starts.Min() < 6, $"the agents started at {string.Join(", ", starts)}");
        // One changed shared.txt first; the two others changed it too and failed with their patch kept.
        Assert.NotEqual(0, exitCode);
        Assert.Equal(2, output.Split('\n').Count(line => line.Contains("error AGS4015", StringComparison.Ordinal)) / CountPerError(output));
        var shared = File.ReadAllLines(Path.Combine(root, "shared.txt"));
        Assert.Equal(2, shared.Length);
        var winner = shared[1];
        foreach (var loser in new[] { "A", "B", "C" }.Where(name => name != winner))
        {
            var patch = Path.Combine(root, loser, "obj", "agent", "AgentRun", "changes.patch");
            Assert.Contains($"+{loser}", File.ReadAllText(patch));
            Assert.False(File.Exists(Path.Combine(root, $"started-{loser}.txt")));
        }
        Assert.Equal("", Shell.LeftoverContainers(Path.Combine(root, "A")) + Shell.LeftoverContainers(Path.Combine(root, "B")) + Shell.LeftoverContainers(Path.Combine(root, "C")));
    }

    [Fact]
    public void A_solution_level_run_with_a_project_without_the_package_fails_with_AGS1017_before_any_agent_runs()
    {
        using var app = new TestProject(name: "App");
        var root = WriteSolution(app, "Lib");
        // A test project without the package, as GuardClauses' is: it has no agent targets at all.
        Directory.CreateDirectory(Path.Combine(root, "Lib.Tests"));
        File.WriteAllText(Path.Combine(root, "Lib.Tests", "Lib.Tests.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>
            """);
        File.WriteAllText(Path.Combine(root, "Sol.slnx"), File.ReadAllText(Path.Combine(root, "Sol.slnx")).Replace("</Solution>", "  <Project Path=\"Lib.Tests/Lib.Tests.csproj\" />\n</Solution>"));
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), """
            <Project>
              <PropertyGroup>
                <AgentKind>custom</AgentKind>
                <AgentCommand>sh;-c;touch ran.txt</AgentCommand>
              </PropertyGroup>
            </Project>
            """);

        // In the solution's order, the first project gets there first and refuses.
        var (exitCode, output) = Shell.RunIn(root, "dotnet", "build", "Sol.slnx", "-m:1", "-t:AgentRun", "-p:AgentPrompt=Tidy", "-tl:off", "-nodeReuse:false");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error AGS1017: AgentRun for Sol.slnx runs one agent for the whole solution, but Lib.Tests does not import AgentSandbox.Sdk", output);
        Assert.False(File.Exists(Path.Combine(root, "ran.txt")));
        Assert.DoesNotContain("Building sandbox image", output);

        // In parallel, MSBuild may reach the project without the target first and stop the build with MSB4057: either
        // way no agent runs.
        (exitCode, output) = Shell.RunIn(root, "dotnet", "build", "Sol.slnx", "-t:AgentRun", "-p:AgentPrompt=Tidy", "-tl:off", "-nodeReuse:false");

        Assert.NotEqual(0, exitCode);
        Assert.False(File.Exists(Path.Combine(root, "ran.txt")), output);
    }

    /// <summary>
    /// Sol.slnx beside <paramref name="first"/>'s folder: that project first, then a library project of each name.
    /// </summary>
    /// <returns>The solution's folder.</returns>
    internal static string WriteSolution(TestProject first, params string[] libraries)
    {
        var root = Path.GetDirectoryName(first.Directory)!;
        foreach (var name in libraries)
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            File.WriteAllText(Path.Combine(root, name, name + ".csproj"), TestProject.ProjectXml(extraProperties: "<OutputType>Library</OutputType>"));
        }
        var projects = new[] { Path.GetFileName(first.Directory) }.Concat(libraries).Select(name => $"  <Project Path=\"{name}/{name}.csproj\" />");
        File.WriteAllText(Path.Combine(root, "Sol.slnx"), string.Join("\n", ["<Solution>", .. projects, "</Solution>", ""]));
        return root;
    }

    /// <summary>A losing project's start time, from the patch it kept (its own file was not applied).</summary>
    private static string ReadFromPatch(string root, string name)
    {
        var patch = File.ReadAllLines(Path.Combine(root, name, "obj", "agent", "AgentRun", "changes.patch"));
        var at = Array.FindIndex(patch, line => line.Contains($"started-{name}.txt", StringComparison.Ordinal));
        return patch.Skip(at).First(line => line.StartsWith('+') && !line.StartsWith("+++", StringComparison.Ordinal))[1..];
    }

    /// <summary>MSBuild prints each error twice at normal verbosity: where it happens and in the summary.</summary>
    private static int CountPerError(string output) => output.Contains("Build FAILED.", StringComparison.Ordinal) ? 2 : 1;
}
