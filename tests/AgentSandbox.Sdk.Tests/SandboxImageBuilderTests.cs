using AgentSandbox.Errors;
using AgentSandbox.Inputs;

namespace AgentSandbox.Sdk.Tests;

public sealed class SandboxImageBuilderTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("  ", null)]
    [InlineData("default", null)]
    [InlineData("host", "host")]
    [InlineData(" HOST ", "host")]
    [InlineData("none", "none")]
    [InlineData("bridge", "bridge")]
    public void Build_network_is_one_of_the_known_modes_and_default_is_the_engines(string? value, string? expected)
    {
        Assert.Equal(expected, SandboxSpecFactory.CreateImageBuild(value, _ => null).Network);
    }

    [Theory]
    [InlineData("my-network")]
    [InlineData("container:abc")]
    public void Unknown_build_network_is_rejected_with_the_allowed_values(string value)
    {
        var error = Assert.Throws<AgentSandboxException>(() => SandboxSpecFactory.CreateImageBuild(value, _ => null));

        Assert.Equal("AGS1004", error.Code);
        Assert.Contains("AgentBuildNetwork", error.Message);
        Assert.Contains("host", error.Message);
    }

    [Fact]
    public void Proxy_settings_of_the_host_become_build_arguments()
    {
        var settings = SandboxSpecFactory.CreateImageBuild(null, name => name is "HTTPS_PROXY" ? "http://proxy:3128" : null);

        Assert.Equal(new Dictionary<string, string> { ["HTTPS_PROXY"] = "http://proxy:3128" }, settings.ProxyArguments);
    }
}
