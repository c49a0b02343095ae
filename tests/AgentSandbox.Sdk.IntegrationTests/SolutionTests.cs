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
        var root = Path.GetDirectoryName(app.Directory)!;
        foreach (var name in new[] { "Lib", "Tools" })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            File.WriteAllText(Path.Combine(root, name, name + ".csproj"), TestProject.ProjectXml(extraProperties: "<OutputType>Library</OutputType>"));
        }
        File.WriteAllText(Path.Combine(root, "Sol.slnx"), """
            <Solution>
              <Project Path="App/App.csproj" />
              <Project Path="Lib/Lib.csproj" />
              <Project Path="Tools/Tools.csproj" />
            </Solution>
            """);
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
}
