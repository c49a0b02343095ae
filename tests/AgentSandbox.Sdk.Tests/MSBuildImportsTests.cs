using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>What MSBuild files import, followed as far as their paths are known without an evaluation.</summary>
public sealed class MSBuildImportsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private IReadOnlyList<string> Reached(string file) =>
        MSBuildImports.Reached([_temp.Combine(file)], _temp.Combine("repo/src/App")).Select(path => Path.GetRelativePath(_temp.Path, path).Replace('\\', '/')).ToList();

    [Fact]
    public void Literal_paths_and_this_file_s_directory_are_followed_through_every_level()
    {
        _temp.Write("repo/src/App/App.csproj", """<Project Sdk="Microsoft.NET.Sdk"><Import Project="..\..\eng\common.props" /></Project>""");
        _temp.Write("repo/eng/common.props", """<Project><ImportGroup><Import Project="$(MSBuildThisFileDirectory)versions.props" Condition="Exists('x')" /></ImportGroup></Project>""");
        _temp.Write("repo/eng/versions.props", "<Project />");

        Assert.Equal(["repo/eng/common.props", "repo/eng/versions.props"], Reached("repo/src/App/App.csproj"));
    }

    [Theory]
    [InlineData("""$([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))""")]
    [InlineData("""$([MSBuild]::GetPathOfFileAbove(Directory.Build.props, $(MSBuildThisFileDirectory)..))""")]
    [InlineData("""$([MSBuild]::GetDirectoryNameOfFileAbove('$(MSBuildThisFileDirectory)..', 'Directory.Build.props'))/Directory.Build.props""")]
    public void A_Directory_Build_props_that_chains_to_the_one_above_reaches_it(string import)
    {
        _temp.Write("repo/src/Directory.Build.props", $"""<Project><Import Project="{import}" /></Project>""");
        _temp.Write("Directory.Build.props", "<Project />");

        Assert.Equal(["Directory.Build.props"], Reached("repo/src/Directory.Build.props"));
    }

    [Fact]
    public void Imports_that_need_an_evaluation_an_SDK_or_a_file_that_is_not_there_are_not_followed_and_cycles_end()
    {
        _temp.Write("a.props", """
            <Project>
              <Import Project="$(RepoRoot)eng/x.props" />
              <Import Project="Sdk.props" Sdk="Microsoft.NET.Sdk" />
              <Import Project="missing.props" />
              <Import Project="*.targets" />
              <Import Project="b.props" />
            </Project>
            """);
        _temp.Write("b.props", """<Project><Import Project="a.props" /></Project>""");
        _temp.Write("broken.props", "<Project");

        Assert.Equal(["b.props"], Reached("a.props"));
        Assert.Empty(Reached("broken.props"));
    }
}
