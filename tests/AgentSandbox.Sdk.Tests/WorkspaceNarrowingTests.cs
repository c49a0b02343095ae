using AgentSandbox.Errors;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentWorkspace: the agent sees one folder of the project, and never more than the project by any way.</summary>
public sealed class WorkspaceNarrowingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public WorkspaceNarrowingTests()
    {
        Directory.CreateDirectory(Path.Combine(_temp.Path, "project", "docs"));
        Directory.CreateDirectory(Path.Combine(_temp.Path, "outside"));
    }

    public void Dispose() => _temp.Dispose();

    private string Project => Path.Combine(_temp.Path, "project");

    [Fact]
    public void The_workspace_and_the_agents_folder_are_the_narrowed_folder()
    {
        var spec = Specs.RunSpec(Specs.Run(Project) with { Workspace = "docs" });

        Assert.Equal(Path.Combine(Project, "docs"), spec.WorkspaceRoot);
        Assert.Equal(WorkspaceReason.Narrowed, spec.Workspace.Reason);
        Assert.Equal("/workspace", spec.WorkingDirectory);
    }

    [Theory]
    [InlineData("../outside", "not inside the project's folder")]
    [InlineData("docs/../..", "not inside the project's folder")]
    [InlineData("/", "not inside the project's folder")]
    [InlineData("missing", "not a folder")]
    [InlineData("link-out", "not inside the project's folder")]
    public void A_folder_that_would_show_more_than_the_project_is_AGS1005(string workspace, string problem)
    {
        Directory.CreateSymbolicLink(Path.Combine(Project, "link-out"), Path.Combine(_temp.Path, "outside"));

        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(Specs.Run(Project) with { Workspace = workspace }));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentWorkspace", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void It_cannot_be_set_with_AgentWorkspaceRoot()
    {
        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(Specs.Run(Project) with { Workspace = "docs", WorkspaceRoot = _temp.Path }));

        Assert.Contains("set only one of them", error.Message);
    }

    [Theory]
    [InlineData("AgentFix", null, false)]
    [InlineData("AgentTest", null, false)]
    [InlineData("AgentRefactor", "none", true)]
    [InlineData("AgentReview", null, true)]
    public void A_preset_that_builds_the_project_needs_the_project_file_in_the_workspace(string target, string? verify, bool allowed)
    {
        var inputs = Specs.Run(Project, target: target) with { Workspace = "docs", Verify = verify, ProjectFile = Path.Combine(Project, "App.csproj") };

        if (allowed)
        {
            Assert.Equal(Path.Combine(Project, "docs"), Specs.RunSpec(inputs).WorkspaceRoot);
        }
        else
        {
            Assert.Contains("AgentVerify=none", Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(inputs)).Message);
        }
    }
}
