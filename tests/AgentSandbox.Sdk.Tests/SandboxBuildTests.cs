using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The command of a build inside the sandbox: a fixed script that copies the workspace and runs dotnet with arguments.</summary>
public sealed class SandboxBuildTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private AgentRunSpec Spec(string? projectFile = "App.csproj", string? projectDirectory = null, string? workspaceRoot = null) =>
        Specs.RunSpec(Specs.Run(projectDirectory ?? _temp.Path, prompt: null, "AgentFix") with
        {
            ProjectFile = projectFile is null ? null : Path.Combine(projectDirectory ?? _temp.Path, projectFile),
            WorkspaceRoot = workspaceRoot,
        });

    private static string Script(IReadOnlyList<string> command) => command[2];

    [Theory]
    [InlineData(nameof(VerifyMode.Build), "build")]
    [InlineData(nameof(VerifyMode.Test), "test")]
    public void Command_is_a_shell_script_with_the_verb_and_the_project_file_as_arguments(string modeName, string verb)
    {
        var mode = Enum.Parse<VerifyMode>(modeName);

        var command = SandboxBuild.Command(Spec(), mode);

        Assert.Equal(["sh", "-c"], command.Take(2));
        Assert.Equal(["sh", verb, "App.csproj", "-nologo", "-clp:NoSummary"], command.Skip(3));
    }

    [Fact]
    public void Without_a_project_file_dotnet_finds_the_project_itself()
    {
        Assert.Equal(["sh", "build", "-nologo", "-clp:NoSummary"], SandboxBuild.Command(Spec(projectFile: null), VerifyMode.Build).Skip(3));
    }

    [Fact]
    public void Project_file_below_the_workspace_root_is_given_relative_to_the_root()
    {
        var project = _temp.CreateDirectory("src/App");

        var command = SandboxBuild.Command(Spec(projectDirectory: project, workspaceRoot: _temp.Path), VerifyMode.Build);

        Assert.Equal("src/App/App.csproj", command[5]);
    }

    [Fact]
    public void Project_file_name_with_shell_characters_stays_one_argument_outside_the_script()
    {
        var plain = SandboxBuild.Command(Spec(), VerifyMode.Build);
        var odd = SandboxBuild.Command(Spec(projectFile: "My App;$(rm -rf x)`id`.csproj"), VerifyMode.Build);

        Assert.Equal("My App;$(rm -rf x)`id`.csproj", odd[5]);
        Assert.Equal(Script(plain), Script(odd));
        Assert.DoesNotContain("App", Script(odd));
    }

    [Fact]
    public void Script_copies_the_workspace_without_git_and_build_output_and_builds_the_copy()
    {
        var script = Script(SandboxBuild.Command(Spec(), VerifyMode.Build));

        Assert.Equal(
            "set -e; mkdir -p /tmp/agentsandbox-build; cd /workspace; " +
            "tar -c -f /tmp/agentsandbox-workspace.tar --exclude=./.git --exclude=./.vs --exclude=bin --exclude=obj .; " +
            "tar -x -f /tmp/agentsandbox-workspace.tar -C /tmp/agentsandbox-build; rm /tmp/agentsandbox-workspace.tar; " +
            "cd /tmp/agentsandbox-build; exec dotnet \"$@\"",
            script);
    }

    [Fact]
    public void Script_builds_where_the_output_parser_makes_paths_relative()
    {
        var script = Script(SandboxBuild.Command(Spec(), VerifyMode.Build));

        Assert.Contains($"-C {SandboxBuild.BuildDirectory};", script);
        Assert.Contains($"cd {SandboxBuild.BuildDirectory};", script);
        Assert.Equal("src/A.cs", BuildOutputParser.Parse($"{SandboxBuild.BuildDirectory}/src/A.cs(1,1): error CS1: x", SandboxBuild.BuildDirectory)?.File);
    }
}
