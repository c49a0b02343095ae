using System.Text;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentImageRegistry: the login docker login saved, read as the docker CLI reads it, and the registry a reference names.</summary>
public sealed class RegistryLoginsTests : IDisposable
{
    private readonly TempDirectory _config = new();

    public void Dispose() => _config.Dispose();

    private RegistryLogin? For(string registry, string json)
    {
        _config.Write("config.json", json);
        return RegistryLogins.For(registry, name => name == "DOCKER_CONFIG" ? _config.Path : null);
    }

    private static string Auth(string pair) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pair));

    [Fact]
    public void A_saved_login_is_found_under_the_registrys_name_with_or_without_a_scheme()
    {
        var json = """{"auths":{"https://registry.example.com/":{"auth":"AUTH"},"127.0.0.1:5000":{"identitytoken":"tok"}}}""".Replace("AUTH", Auth("robot:pa:ss"), StringComparison.Ordinal);

        Assert.Equal(new RegistryLogin("robot", "pa:ss", null), For("registry.example.com", json));
        Assert.Equal(new RegistryLogin(null, null, "tok"), For("127.0.0.1:5000", json));
        Assert.Null(For("other.example.com", json));
    }

    [Fact]
    public void No_configuration_a_broken_one_or_a_helper_that_is_not_there_is_no_login()
    {
        Assert.Null(RegistryLogins.For("registry.example.com", name => name == "DOCKER_CONFIG" ? _config.Path : null));
        Assert.Null(For("registry.example.com", "{ not json"));
        Assert.Null(For("registry.example.com", """{"credsStore":"agentsandbox-no-such-helper"}"""));
    }

    [Fact]
    public void A_login_never_shows_its_secret()
    {
        Assert.DoesNotContain("pa:ss", new RegistryLogin("robot", "pa:ss", null).ToString());
        Assert.DoesNotContain("s3cr3t", new RegistryLogin(null, null, "s3cr3t").ToString());
    }

    [Theory]
    [InlineData("registry.example.com/team/agentsandbox:abc", "registry.example.com")]
    [InlineData("127.0.0.1:5000/agentsandbox:abc", "127.0.0.1:5000")]
    [InlineData("localhost/agentsandbox:abc", "localhost")]
    [InlineData("team/agentsandbox:abc", "docker.io")]
    public void The_registry_is_the_first_part_when_it_looks_like_a_host(string reference, string registry) =>
        Assert.Equal(registry, DockerEngine.RegistryOf(reference));

    [Theory]
    [InlineData("registry.example.com/team", "registry.example.com/team")]
    [InlineData("127.0.0.1:5000/", "127.0.0.1:5000")]
    public void AgentImageRegistry_is_taken_for_a_cluster(string given, string taken) =>
        Assert.Equal(taken, Specs.RunSpec(Specs.Run(_config.Path) with { Engine = "kubernetes", ImageRegistry = given }).Cluster!.ImageRegistry);

    [Theory]
    [InlineData("https://registry.example.com")]
    [InlineData("registry.example.com/Team")]
    [InlineData("registry example")]
    public void A_registry_that_is_no_registry_name_is_AGS1005(string given) =>
        Assert.Equal("AGS1005", Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(Specs.Run(_config.Path) with { Engine = "kubernetes", ImageRegistry = given })).Code);
}
