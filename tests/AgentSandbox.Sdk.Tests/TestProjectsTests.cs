using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Which test projects cover a project: found in the repository by their references, read from the project files.</summary>
public sealed class TestProjectsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private const string Library = """<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>""";

    private static string Tests(string reference, string marker = """<PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />""") =>
        $"""<Project Sdk="Microsoft.NET.Sdk"><ItemGroup>{marker}<ProjectReference Include="{reference}" /></ItemGroup></Project>""";

    private IReadOnlyList<string> Covering(string project) =>
        TestProjects.Covering(_temp.Combine(project), TestProjects.InFolder(_temp.Path), _temp.Path, path => File.Exists(path) ? File.ReadAllText(path) : null)
            .Select(path => Path.GetRelativePath(_temp.Path, path).Replace('\\', '/')).ToList();

    [Fact]
    public void Test_projects_that_reference_the_project_directly_or_through_another_cover_it()
    {
        _temp.Write("src/Lib/Lib.csproj", Library);
        _temp.Write("src/Lib.Extra/Lib.Extra.csproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><ProjectReference Include="..\Lib\Lib.csproj" /></ItemGroup></Project>""");
        _temp.Write("test/Lib.Tests/Lib.Tests.csproj", Tests("../../src/Lib/Lib.csproj"));
        _temp.Write("test/Extra.Tests/Extra.Tests.csproj", Tests("$(MSBuildThisFileDirectory)../../src/Lib.Extra/Lib.Extra.csproj"));
        _temp.Write("test/Other.Tests/Other.Tests.csproj", Tests("../../src/Other/Other.csproj"));

        Assert.Equal(["test/Extra.Tests/Extra.Tests.csproj", "test/Lib.Tests/Lib.Tests.csproj"], Covering("src/Lib/Lib.csproj"));
    }

    [Fact]
    public void A_test_project_covers_itself()
    {
        _temp.Write("Lib.Tests/Lib.Tests.csproj", Tests("../Lib/Lib.csproj", "<PropertyGroup><IsTestProject>true</IsTestProject></PropertyGroup>"));

        Assert.Equal(["Lib.Tests/Lib.Tests.csproj"], Covering("Lib.Tests/Lib.Tests.csproj"));
    }

    [Fact]
    public void A_test_folder_s_Directory_Build_props_makes_its_projects_test_projects_and_IsTestProject_false_does_not()
    {
        _temp.Write("src/Lib/Lib.csproj", Library);
        _temp.Write("test/Directory.Build.props", """<Project><ItemGroup><PackageReference Include="xunit.v3" Version="4.0.2" /></ItemGroup></Project>""");
        _temp.Write("test/Lib.Tests/Lib.Tests.csproj", Tests("../../src/Lib/Lib.csproj", ""));
        _temp.Write("test/Lib.Helpers/Lib.Helpers.csproj", Tests("../../src/Lib/Lib.csproj", "<PropertyGroup><IsTestProject>false</IsTestProject></PropertyGroup>"));
        // A library that references xunit's core package (test helpers) is no test project.
        _temp.Write("src/Lib.Testing/Lib.Testing.csproj", Tests("../Lib/Lib.csproj", """<PackageReference Include="xunit.assert" Version="2.9.3" />"""));

        Assert.Equal(["test/Lib.Tests/Lib.Tests.csproj"], Covering("src/Lib/Lib.csproj"));
    }

    [Fact]
    public void Build_output_hidden_folders_and_packages_are_not_searched_and_broken_files_are_skipped()
    {
        _temp.Write("Lib/Lib.csproj", Library);
        _temp.Write("Lib.Tests/bin/Debug/Copy.csproj", Tests("../../../Lib/Lib.csproj"));
        _temp.Write(".hidden/Hidden.Tests.csproj", Tests("../Lib/Lib.csproj"));
        _temp.Write("node_modules/x/X.Tests.csproj", Tests("../../Lib/Lib.csproj"));
        _temp.Write("Broken.Tests/Broken.Tests.csproj", "<Project");

        Assert.Empty(Covering("Lib/Lib.csproj"));
    }

    [Fact]
    public void References_through_unknown_properties_and_cycles_end_the_search()
    {
        _temp.Write("A/A.csproj", """<Project><ItemGroup><ProjectReference Include="../B/B.csproj" /><ProjectReference Include="$(Root)/C.csproj" /></ItemGroup></Project>""");
        _temp.Write("B/B.csproj", """<Project><ItemGroup><ProjectReference Include="../A/A.csproj" /></ItemGroup></Project>""");
        _temp.Write("Lib/Lib.csproj", Library);
        _temp.Write("T/T.csproj", Tests("../A/A.csproj"));

        Assert.Empty(Covering("Lib/Lib.csproj"));
    }
}
