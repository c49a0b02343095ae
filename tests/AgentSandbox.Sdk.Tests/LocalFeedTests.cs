using AgentSandbox.Errors;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Local folder feeds outside the workspace: read-only where the sandbox's restore looks for them, or AGS1016 before anything runs.</summary>
public sealed class LocalFeedTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public LocalFeedTests()
    {
        _temp.CreateDirectory("repo/.git");
        _temp.CreateDirectory("repo/src/App");
    }

    public void Dispose() => _temp.Dispose();

    private AgentRunSpec Spec(string feedValue)
    {
        _temp.Write("repo/nuget.config", $"""
            <configuration>
              <packageSources><clear /><add key="local" value="{feedValue}" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>
            </configuration>
            """);
        return Specs.RunSpec(Specs.Run(_temp.Combine("repo/src/App")));
    }

    [Fact]
    public void A_feed_at_an_absolute_path_is_mounted_read_only_at_the_same_path_and_does_not_widen_the_workspace()
    {
        var feed = _temp.CreateDirectory("ci/artifacts");

        var spec = Spec(feed);

        Assert.Equal(_temp.Combine("repo"), spec.WorkspaceRoot);
        Assert.Equal(new SandboxMount(feed, feed, ReadOnly: true) { LocalFeed = true }, Assert.Single(spec.ExtraMounts));
    }

    [Fact]
    public void A_relative_feed_is_mounted_where_the_path_leads_from_the_config_s_place_in_the_workspace()
    {
        var feed = _temp.CreateDirectory("feed");

        Assert.Equal(new SandboxMount(feed, "/feed", ReadOnly: true) { LocalFeed = true }, Assert.Single(Spec("../feed").ExtraMounts));
        Assert.Equal(new SandboxMount(feed, "/feed", ReadOnly: true) { LocalFeed = true }, Assert.Single(Spec("..\\feed").ExtraMounts));
    }

    [Theory]
    [InlineData("<clear />")]
    [InlineData("<remove key=\"local\" />")]
    public void A_feed_a_nearer_config_clears_or_removes_is_neither_mounted_nor_refused(string nearer)
    {
        // "/" could not be mounted (AGS1016), were it still a source.
        _temp.Write("repo/nuget.config", """<configuration><packageSources><add key="local" value="/" /></packageSources></configuration>""");
        _temp.Write("repo/src/nuget.config", $"<configuration><packageSources>{nearer}</packageSources></configuration>");

        Assert.Empty(Specs.RunSpec(Specs.Run(_temp.Combine("repo/src/App"))).ExtraMounts);
    }

    [Fact]
    public void A_feed_in_the_workspace_travels_with_it_and_one_that_does_not_exist_is_NuGet_s_to_report()
    {
        _temp.CreateDirectory("repo/packages");

        Assert.Empty(Spec("packages").ExtraMounts);
        Assert.Empty(Spec("../missing").ExtraMounts);
    }

    [Theory]
    [InlineData("..", "holds the workspace")]
    [InlineData("../etc/feed", "/etc/feed, which is the sandbox's own")]
    [InlineData("../workspace/feed", "/workspace/feed, which is the sandbox's own")]
    public void A_feed_that_cannot_go_into_the_sandbox_is_AGS1016_naming_it_and_its_config(string value, string why)
    {
        _temp.CreateDirectory("etc/feed");
        _temp.CreateDirectory("workspace/feed");

        var error = Assert.Throws<AgentSandboxException>(() => Spec(value));

        Assert.Equal("AGS1016", error.Code);
        Assert.Contains(why, error.Message);
        Assert.Contains(_temp.Combine("repo/nuget.config"), error.Message);
    }
}
