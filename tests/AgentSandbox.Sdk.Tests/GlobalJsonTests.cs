using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

public sealed class GlobalJsonTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Reads_sdk_version()
    {
        Assert.Equal("8.0.404", GlobalJson.ReadSdkVersion("""{ "sdk": { "version": "8.0.404", "rollForward": "latestPatch" } }"""));
    }

    [Fact]
    public void Tolerates_comments_and_trailing_commas()
    {
        const string json = """
            {
              // pinned for CI
              "sdk": {
                /* the LTS */
                "version": "8.0.404",
                "rollForward": "latestFeature",
              },
              "msbuild-sdks": { "My.Sdk": "1.0.0", },
            }
            """;

        Assert.Equal("8.0.404", GlobalJson.ReadSdkVersion(json));
    }

    [Theory]
    [InlineData("""{ "msbuild-sdks": { "Microsoft.Build.Traversal": "4.1.0" } }""")]
    [InlineData("""{ "sdk": { "rollForward": "latestMajor" } }""")]
    [InlineData("""{ "sdk": { "version": 8 } }""")]
    [InlineData("""{ "sdk": "8.0.404" }""")]
    [InlineData("""{ "sdk": null }""")]
    [InlineData("""["sdk"]""")]
    [InlineData("{}")]
    public void Missing_sdk_version_gives_null(string json)
    {
        Assert.Null(GlobalJson.ReadSdkVersion(json));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{ \"sdk\": { \"version\": \"8.0.404\" ")]
    [InlineData("not json")]
    [InlineData("<xml/>")]
    public void Invalid_json_gives_null(string json)
    {
        Assert.Null(GlobalJson.ReadSdkVersion(json));
    }

    [Fact]
    public void Finds_the_global_json_in_a_directory_above_the_project()
    {
        _temp.Write("global.json", """{ "sdk": { "version": "9.0.305" } }""");
        var project = _temp.CreateDirectory("src/deep/App");

        Assert.Equal("9.0.305", GlobalJson.FindSdkVersion(project));
    }

    [Fact]
    public void Finds_the_global_json_in_the_project_directory_itself()
    {
        _temp.Write("App/global.json", """{ "sdk": { "version": "9.0.305" } }""");

        Assert.Equal("9.0.305", GlobalJson.FindSdkVersion(_temp.Combine("App")));
    }

    [Fact]
    public void Nearest_global_json_wins()
    {
        _temp.Write("global.json", """{ "sdk": { "version": "8.0.100" } }""");
        _temp.Write("src/global.json", """{ "sdk": { "version": "10.0.100" } }""");
        var project = _temp.CreateDirectory("src/App");

        Assert.Equal("10.0.100", GlobalJson.FindSdkVersion(project));
    }

    [Fact]
    public void Nearest_global_json_without_sdk_version_hides_a_farther_one()
    {
        // The dotnet host stops at the first global.json it finds.
        _temp.Write("global.json", """{ "sdk": { "version": "8.0.100" } }""");
        _temp.Write("src/global.json", """{ "msbuild-sdks": { } }""");
        var project = _temp.CreateDirectory("src/App");

        Assert.Null(GlobalJson.FindSdkVersion(project));
    }
}
