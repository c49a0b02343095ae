using AgentSandbox.Docker;
using AgentSandbox.Errors;

namespace AgentSandbox.Sdk.Tests;

public sealed class ApiVersionsTests
{
    private const string Endpoint = "unix:///var/run/docker.sock";

    [Theory]
    [InlineData("1.41", "1.12", "1.41")]
    [InlineData("1.47", "1.24", "1.47")]
    [InlineData("1.52", "1.44", "1.52")]
    [InlineData("1.54", "1.44", "1.52")]
    [InlineData("1.60", "1.24", "1.52")]
    [InlineData("1.45", null, "1.45")]
    [InlineData("1.45", "garbage", "1.45")]
    public void Engine_version_is_used_capped_at_the_newest_known(string engine, string? minimum, string expected)
    {
        Assert.Equal(Version.Parse(expected), ApiVersions.Negotiate(Endpoint, engine, minimum));
    }

    [Theory]
    [InlineData("1.40", "1.12")]
    [InlineData("1.24", "1.12")]
    public void Engine_older_than_the_oldest_supported_is_refused(string engine, string minimum)
    {
        var error = Assert.Throws<AgentSandboxException>(() => ApiVersions.Negotiate(Endpoint, engine, minimum));

        Assert.Equal("AGS2002", error.Code);
        Assert.Contains(Endpoint, error.Message);
        Assert.Contains(engine, error.Message);
    }

    [Fact]
    public void Engine_whose_minimum_is_above_our_newest_is_refused()
    {
        var error = Assert.Throws<AgentSandboxException>(() => ApiVersions.Negotiate(Endpoint, "1.60", "1.55"));

        Assert.Equal("AGS2002", error.Code);
        Assert.Contains("1.55", error.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1.45")]
    [InlineData("latest")]
    public void Unreadable_engine_version_is_refused(string? engine)
    {
        var error = Assert.Throws<AgentSandboxException>(() => ApiVersions.Negotiate(Endpoint, engine, "1.12"));

        Assert.Equal("AGS2002", error.Code);
    }

    [Fact]
    public void Supported_range_is_ordered()
    {
        Assert.True(ApiVersions.Oldest < ApiVersions.Newest);
    }
}
