using AgentSandbox.Project;
using NuGet.Versioning;

namespace AgentSandbox.Sdk.Tests;

public sealed class DotNetVersionsTests
{
    [Theory]
    [InlineData("net8.0", "8.0")]
    [InlineData("net10.0", "10.0")]
    [InlineData("net5.0", "5.0")]
    [InlineData("net9.0-windows10.0.19041", "9.0")]
    [InlineData("net8.0-android", "8.0")]
    [InlineData("netcoreapp3.1", "3.1")]
    [InlineData("NET8.0", "8.0")]
    [InlineData(" net8.0 ", "8.0")]
    public void Modern_target_frameworks_give_their_dotnet_version(string targetFramework, string expected)
    {
        var version = DotNetVersions.FromTargetFramework(targetFramework);

        Assert.NotNull(version);
        Assert.Equal(NuGetVersion.Parse(expected), version);
    }

    [Theory]
    [InlineData("netstandard2.0")]
    [InlineData("netstandard2.1")]
    [InlineData("net48")]
    [InlineData("net472")]
    [InlineData("net35")]
    [InlineData("uap10.0")]
    [InlineData("")]
    [InlineData("net")]
    [InlineData("net8")]
    public void Target_frameworks_without_a_modern_dotnet_version_give_null(string targetFramework)
    {
        Assert.Null(DotNetVersions.FromTargetFramework(targetFramework));
    }

    [Fact]
    public void Highest_compares_versions_numerically_not_as_text()
    {
        Assert.Equal(NuGetVersion.Parse("10.0"), DotNetVersions.Highest(["net9.0", "net10.0", "net8.0"]));
    }

    [Fact]
    public void Highest_ignores_target_frameworks_without_a_version()
    {
        Assert.Equal(NuGetVersion.Parse("6.0"), DotNetVersions.Highest(["netstandard2.0", "net6.0", "net48"]));
    }

    [Fact]
    public void Highest_is_null_when_no_target_framework_names_a_version()
    {
        Assert.Null(DotNetVersions.Highest(["netstandard2.0", "net472"]));
        Assert.Null(DotNetVersions.Highest([]));
    }

    [Theory]
    [InlineData("netstandard2.0", true)]
    [InlineData("net48", true)]
    [InlineData("net8.0", true)]
    [InlineData("uap10.0", false)]
    [InlineData("tizen40", false)]
    public void IsDotNet_tells_dotnet_target_frameworks(string targetFramework, bool expected)
    {
        Assert.Equal(expected, DotNetVersions.IsDotNet(targetFramework));
    }

    [Theory]
    [InlineData("8.0.404", "8.0")]
    [InlineData("10.0.100", "10.0")]
    [InlineData("10.0.100-preview.7.25380.108", "10.0-preview")]
    [InlineData("10.0.100-rc.1.25451.107", "10.0-preview")]
    [InlineData("9.0", "9.0")]
    public void Sdk_image_tag_is_major_minor_with_preview_for_prereleases(string sdkVersion, string expected)
    {
        Assert.Equal(expected, DotNetVersions.SdkImageTag(NuGetVersion.Parse(sdkVersion)));
    }
}
