using AgentSandbox.Errors;
using AgentSandbox.Image;

namespace AgentSandbox.Sdk.Tests;

public sealed class SandboxImageBuilderTests
{
    [Theory]
    [InlineData(null, "default")]
    [InlineData("", "default")]
    [InlineData("  ", "default")]
    [InlineData("host", "host")]
    [InlineData(" HOST ", "host")]
    [InlineData("none", "none")]
    [InlineData("bridge", "bridge")]
    public void Build_network_is_one_of_the_known_modes(string? value, string expected)
    {
        Assert.Equal(expected, SandboxImageBuilder.ParseBuildNetwork(value));
    }

    [Theory]
    [InlineData("my-network")]
    [InlineData("container:abc")]
    public void Unknown_build_network_is_rejected_with_the_allowed_values(string value)
    {
        var error = Assert.Throws<AgentSandboxException>(() => SandboxImageBuilder.ParseBuildNetwork(value));

        Assert.Equal("AGS1004", error.Code);
        Assert.Contains("AgentBuildNetwork", error.Message);
        Assert.Contains("host", error.Message);
    }
}
