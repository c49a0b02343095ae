using AgentSandbox.Egress;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The allowlist's entries: what each lets through, and what a refusal suggests.</summary>
public sealed class HostRuleTests
{
    [Theory]
    [InlineData("api.nuget.org", "api.nuget.org", 443, true)]
    [InlineData("api.nuget.org", "API.NuGet.org.", 80, true)]
    [InlineData("api.nuget.org", "api.nuget.org", 8443, false)]
    [InlineData("api.nuget.org", "evil-api.nuget.org", 443, false)]
    [InlineData("api.nuget.org", "api.nuget.org.evil.example", 443, false)]
    [InlineData("*.example.com", "a.b.example.com", 443, true)]
    [InlineData("*.example.com", "example.com", 443, false)]
    [InlineData("*.example.com", "badexample.com", 443, false)]
    [InlineData("feeds.example:8443", "feeds.example", 8443, true)]
    [InlineData("feeds.example:8443", "feeds.example", 443, false)]
    [InlineData("10.0.0.5", "10.0.0.5", 443, true)]
    [InlineData("[fd00::5]:8080", "fd00::5", 8080, true)]
    public void A_rule_allows_its_host_and_ports_only(string entry, string host, int port, bool allowed)
    {
        Assert.Equal(allowed, HostRule.Parse(entry)!.Allows(host, port));
    }

    [Theory]
    [InlineData("")]
    [InlineData("https://api.example.com")]
    [InlineData("a/b")]
    [InlineData("*.")]
    [InlineData("-bad.example")]
    [InlineData("host:")]
    [InlineData("a:b:c")]
    [InlineData("[notip]")]
    public void What_is_no_host_is_no_rule(string entry)
    {
        Assert.Null(HostRule.Parse(entry));
    }

    [Theory]
    [InlineData("Evil.Example", 443, "evil.example")]
    [InlineData("evil.example", 80, "evil.example")]
    [InlineData("evil.example", 8443, "evil.example:8443")]
    [InlineData("fd00::1", 8443, "[fd00::1]:8443")]
    public void A_refusal_suggests_the_entry_that_would_allow_it(string host, int port, string entry)
    {
        Assert.Equal(entry, HostRule.Suggest(host, port));
        Assert.True(HostRule.Parse(entry)!.Allows(host, port));
    }
}
