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

    private IReadOnlyList<TestedProject> Found(string project) =>
        TestProjects.Covering(_temp.Combine(project), TestProjects.InFolder(_temp.Path), _temp.Path, path => File.Exists(path) ? File.ReadAllText(path) : null);

    private IReadOnlyList<string> Covering(string project) => Found(project).Select(test => test.Path).ToList();

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

    [Theory]
    [InlineData("""<PackageReference Include="Microsoft.NET.Test.Sdk" /><PackageReference Include="xunit" />""", "", nameof(TestPlatform.VSTest))]
    [InlineData("""<PackageReference Include="xunit.v3" />""", "<TestingPlatformDotnetTestSupport>true</TestingPlatformDotnetTestSupport>", nameof(TestPlatform.TestingPlatformXunit))]
    [InlineData("""<PackageReference Include="MSTest" />""", "<EnableMSTestRunner>true</EnableMSTestRunner>", nameof(TestPlatform.TestingPlatformTrx))]
    [InlineData("""<PackageReference Include="TUnit" />""", "", nameof(TestPlatform.TestingPlatformUnreported))]
    [InlineData("""<PackageReference Include="TUnit" /><PackageReference Include="Microsoft.Testing.Extensions.TrxReport" />""", "", nameof(TestPlatform.TestingPlatformTrx))]
    [InlineData("""<PackageReference Include="NUnit" /><PackageReference Include="NUnit3TestAdapter" />""", "<EnableNUnitRunner>true</EnableNUnitRunner>", nameof(TestPlatform.TestingPlatformUnreported))]
    public void Each_test_project_is_run_with_the_report_its_platform_writes(string packages, string properties, string platform)
    {
        _temp.Write("Lib/Lib.csproj", Library);
        _temp.Write("Lib.Tests/Lib.Tests.csproj", $"""<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup>{properties}</PropertyGroup><ItemGroup>{packages}<ProjectReference Include="../Lib/Lib.csproj" /></ItemGroup></Project>""");

        Assert.Equal(new TestedProject("Lib.Tests/Lib.Tests.csproj", Enum.Parse<TestPlatform>(platform)), Assert.Single(Found("Lib/Lib.csproj")));
    }

    [Fact]
    public void MSTest_Sdk_runs_on_the_testing_platform_with_its_TRX_report_unless_UseVSTest_and_a_Directory_Build_props_may_say_so()
    {
        _temp.Write("Lib/Lib.csproj", Library);
        _temp.Write("A.Tests/A.Tests.csproj", """<Project Sdk="MSTest.Sdk/3.8.0"><ItemGroup><ProjectReference Include="../Lib/Lib.csproj" /></ItemGroup></Project>""");
        _temp.Write("B.Tests/B.Tests.csproj", """<Project Sdk="MSTest.Sdk/3.8.0"><PropertyGroup><UseVSTest>true</UseVSTest></PropertyGroup><ItemGroup><ProjectReference Include="../Lib/Lib.csproj" /></ItemGroup></Project>""");
        _temp.Write("C/Directory.Build.props", """<Project><PropertyGroup><TestingPlatformDotnetTestSupport>true</TestingPlatformDotnetTestSupport></PropertyGroup></Project>""");
        _temp.Write("C/C.Tests/C.Tests.csproj", """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="xunit.v3" /><ProjectReference Include="../../Lib/Lib.csproj" /></ItemGroup></Project>""");

        Assert.Equal(
            [new("A.Tests/A.Tests.csproj", TestPlatform.TestingPlatformTrx), new("B.Tests/B.Tests.csproj", TestPlatform.VSTest), new("C/C.Tests/C.Tests.csproj", TestPlatform.TestingPlatformXunit)],
            Found("Lib/Lib.csproj"));
    }
}
