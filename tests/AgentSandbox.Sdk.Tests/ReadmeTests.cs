using System.Text.RegularExpressions;
using AgentSandbox.Sdk.TestSupport;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>What README tells a new user to type must work as typed.</summary>
public sealed partial class ReadmeTests
{
    [GeneratedRegex(@"<AgentSandboxPackageVersion[^>]*>([^<]+)<")]
    private static partial Regex PackageVersion();

    [GeneratedRegex(@"Include=""AgentSandbox\.Sdk"" Version=""([^""]+)""|Name=""AgentSandbox\.Sdk"" Version=""([^""]+)""")]
    private static partial Regex InstallSnippet();

    [Fact]
    public void The_install_snippets_name_the_version_this_repository_packs()
    {
        var packed = PackageVersion().Match(File.ReadAllText(Repository.File("Directory.Build.props"))).Groups[1].Value;

        var named = InstallSnippet().Matches(Readme.Text).Select(match => match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value).ToList();

        Assert.Equal(2, named.Count);
        Assert.All(named, version => Assert.Equal(packed, version));
    }
}
