using AgentSandbox.Errors;
using AgentSandbox.Inputs;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Where the sandbox's workspace is when AgentWorkspaceRoot does not say: where the build's inputs are.</summary>
public sealed class WorkspaceChoiceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The test's own folder stands in for a home folder: nothing above or at it may be the workspace.</summary>
    private WorkspaceChoice Choose(string subject, params string[] inputs) => WorkspaceChoice.Choose(subject, inputs, [_temp.Combine("home")]);

    [Fact]
    public void A_project_with_nothing_above_it_is_its_own_workspace()
    {
        var project = _temp.CreateDirectory("work/App");

        var choice = Choose(project);

        Assert.Equal(project, choice.Root);
        Assert.Equal(WorkspaceReason.BuildInputs, choice.Reason);
        Assert.Empty(choice.LeftOut);
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("file")]
    public void A_project_in_a_git_repository_gets_the_repository_root(string gitKind)
    {
        // A .git file is a worktree's or a submodule's.
        if (gitKind == "directory")
        {
            _temp.CreateDirectory("work/repo/.git");
        }
        else
        {
            _temp.Write("work/repo/.git", "gitdir: /elsewhere");
        }
        var project = _temp.CreateDirectory("work/repo/src/App");

        var choice = Choose(project);

        Assert.Equal(_temp.Combine("work/repo"), choice.Root);
        Assert.Equal(WorkspaceReason.Repository, choice.Reason);
        Assert.Contains("the git repository", choice.Describe());
    }

    [Theory]
    [InlineData("nuget.config")]
    [InlineData("NuGet.Config")]
    [InlineData("global.json")]
    public void A_file_the_build_finds_above_the_project_widens_the_workspace_to_hold_it(string name)
    {
        _temp.Write($"work/{name}", name.EndsWith(".json") ? "{}" : "<configuration />");
        var project = _temp.CreateDirectory("work/samples/App");

        Assert.Equal(_temp.Combine("work"), Choose(project).Root);
    }

    [Fact]
    public void A_local_feed_a_nuget_config_names_does_not_widen_it_being_mounted_read_only_instead()
    {
        _temp.Write("work/samples/nuget.config", """
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="../artifacts/packages" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        _temp.CreateDirectory("work/artifacts/packages");
        var project = _temp.CreateDirectory("work/samples/App");

        Assert.Equal(_temp.Combine("work/samples"), Choose(project).Root);
    }

    [Fact]
    public void A_feed_that_does_not_exist_or_a_config_that_is_not_xml_changes_nothing()
    {
        _temp.Write("work/samples/nuget.config", "<configuration><packageSources><add key=\"x\" value=\"../../missing\" /></packageSources></configuration>");
        _temp.Write("work/samples/App/nuget.config", "not xml");
        var project = _temp.CreateDirectory("work/samples/App");

        Assert.Equal(_temp.Combine("work/samples"), Choose(project).Root);
    }

    [Fact]
    public void Inputs_MSBuild_names_widen_it_as_well()
    {
        var props = _temp.Write("work/Directory.Build.props", "<Project />");
        var reference = _temp.Write("work/lib/Lib/Lib.csproj", "<Project />");
        var project = _temp.CreateDirectory("work/src/App");

        Assert.Equal(_temp.Combine("work"), Choose(project, props, "", reference, _temp.Combine("work/not-there.props")).Root);
    }

    [Fact]
    public void Inputs_beyond_the_repository_widen_it_past_the_repository()
    {
        _temp.CreateDirectory("work/repo/.git");
        var feed = _temp.CreateDirectory("work/feed");
        var project = _temp.CreateDirectory("work/repo/App");

        var choice = Choose(project, feed);

        Assert.Equal(_temp.Combine("work"), choice.Root);
        Assert.Equal(WorkspaceReason.BuildInputs, choice.Reason);
    }

    [Fact]
    public void An_input_only_a_home_folder_would_hold_is_left_out_and_named()
    {
        var elsewhere = _temp.Write("home/other/nuget.config", "<configuration />");
        var project = _temp.CreateDirectory("home/work/App");
        _temp.Write("home/work/Directory.Build.props", "<Project />");

        var choice = Choose(project, elsewhere, _temp.Combine("home/work/Directory.Build.props"));

        Assert.Equal(_temp.Combine("home/work"), choice.Root);
        Assert.Equal([elsewhere], choice.LeftOut);
    }

    [Fact]
    public void A_repository_at_the_home_folder_such_as_one_for_dotfiles_is_not_the_workspace()
    {
        _temp.CreateDirectory("home/.git");
        var project = _temp.CreateDirectory("home/work/App");

        var choice = Choose(project);

        Assert.Equal(project, choice.Root);
        Assert.Equal(WorkspaceReason.BuildInputs, choice.Reason);
    }

    [Fact]
    public void Nothing_ever_widens_it_to_the_file_system_root()
    {
        var project = _temp.CreateDirectory("work/App");

        var choice = WorkspaceChoice.Choose(project, ["/etc/hostname"], []);

        Assert.NotEqual("/", choice.Root);
        Assert.Equal(["/etc/hostname"], choice.LeftOut);
    }

    [Fact]
    public void The_spec_factory_warns_with_AGS1103_for_a_restore_input_it_left_out_and_refuses_a_build_input_with_AGS1018()
    {
        _temp.CreateDirectory("repo/.git");
        var project = _temp.CreateDirectory("repo/App");
        // Beside the test's folder in the temporary folder: only the temporary folder itself would hold both.
        using var elsewhere = new TempDirectory();
        var config = elsewhere.Write("nuget.config", "<configuration />");

        var (spec, warnings) = Specs.Create(Specs.Run(project, "Do it") with { BuildInputs = [config] });
        var refused = Assert.Throws<AgentSandboxException>(() => Specs.Create(Specs.Run(project, "Do it") with { BuildInputs = ["/etc/hostname"] }));

        Assert.Equal(_temp.Combine("repo"), spec.Run!.WorkspaceRoot);
        Assert.Equal("AGS1103", Assert.Single(warnings).Code);
        Assert.Contains($"'{config}'", warnings[0].Message);
        Assert.Equal("AGS1018", refused.Code);
        Assert.Contains("'/etc/hostname'", refused.Message);
        Assert.Contains("move it into the repository", refused.Message);
    }

    [Fact]
    public void AgentWorkspaceRoot_overrides_the_choice_and_one_that_leaves_out_what_the_build_reads_is_AGS1018_naming_the_root_that_holds_it()
    {
        var project = _temp.CreateDirectory("repo/App");
        var reference = _temp.Write("repo/Lib/Lib.csproj", "<Project />");

        var given = Specs.RunSpec(Specs.Run(project, "Do it") with { WorkspaceRoot = _temp.Combine("repo"), BuildInputs = [reference] });
        var refused = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(Specs.Run(project, "Do it") with { WorkspaceRoot = project, BuildInputs = [reference] }));

        Assert.Equal(_temp.Combine("repo"), given.WorkspaceRoot);
        Assert.Equal(WorkspaceReason.Given, given.Workspace.Reason);
        Assert.Equal("AGS1018", refused.Code);
        Assert.Contains($"'{reference}'", refused.Message);
        Assert.Contains($"set AgentWorkspaceRoot to {_temp.Combine("repo")}, which holds it", refused.Message);
    }

    [Fact]
    public void Imports_of_the_project_and_its_Directory_Build_props_widen_the_workspace_too()
    {
        var project = _temp.CreateDirectory("work/src/App");
        var props = _temp.Write("work/src/Directory.Build.props", """<Project><Import Project="$([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))" /></Project>""");
        _temp.Write("work/Directory.Build.props", """<Project><Import Project="eng/Versions.props" /></Project>""");
        _temp.Write("work/eng/Versions.props", "<Project />");

        var spec = Specs.RunSpec(Specs.Run(project, "Do it") with { BuildInputs = [props] });

        Assert.Equal(_temp.Combine("work"), spec.WorkspaceRoot);
    }

    [Fact]
    public void A_solution_level_run_works_from_the_solution_folder_on_the_solution()
    {
        var solution = _temp.Write("sln/Sol.slnx", "<Solution />");
        var project = _temp.CreateDirectory("sln/src/App");

        var spec = Specs.RunSpec(Specs.Run(project, prompt: null, "AgentFix") with { SolutionFile = solution, ProjectFile = Path.Combine(project, "App.csproj") });

        Assert.Equal(_temp.Combine("sln"), spec.ProjectDirectory);
        Assert.Equal(_temp.Combine("sln"), spec.WorkspaceRoot);
        Assert.Equal("Sol.slnx", spec.Preset.ProjectFileName);
        Assert.Equal("AgentFix for Sol.slnx", spec.Label);
        Assert.Equal("/workspace", spec.WorkingDirectory);
    }
}
