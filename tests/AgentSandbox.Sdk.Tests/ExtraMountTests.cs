using AgentSandbox.Containers;
using AgentSandbox.Errors;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentExtraMount: more of the machine in the sandbox, never the parts that are the machine.</summary>
public sealed class ExtraMountTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private AgentRunSpec Spec(string source, string? target = "/cache", string? readOnly = null) =>
        Specs.RunSpec(Specs.Run(_temp.Path) with { ExtraMounts = [(source, target, readOnly)] });

    [Fact]
    public void A_cache_folder_goes_into_every_container_read_only_unless_said_otherwise()
    {
        var cache = _temp.CreateDirectory("cache");

        var spec = Spec(cache);
        var writable = Spec(cache, readOnly: "false");
        var request = SandboxContainer.Create(spec, "agentsandbox:x", "agent", ["true"], spec.Environment, readOnlyWorkspace: false);

        Assert.Equal(new SandboxMount(cache, "/cache", true), Assert.Single(spec.ExtraMounts));
        Assert.False(Assert.Single(writable.ExtraMounts).ReadOnly);
        Assert.Contains(request.Mounts, mount => mount.Source == cache && mount.Target == "/cache" && mount.ReadOnly);
    }

    [Theory]
    [InlineData("/", "root")]
    [InlineData("/var/run", "sockets")]
    [InlineData("/var/run/docker.sock", "socket")]
    [InlineData("~", "home")]
    [InlineData("missing", "does not exist")]
    public void What_would_hand_the_agent_the_machine_is_AGS1014(string source, string why)
    {
        if (source == "/var/run/docker.sock" && !File.Exists(source))
        {
            return; // No engine socket on this machine.
        }
        var path = source == "~" ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : source;

        var error = Assert.Throws<AgentSandboxException>(() => Spec(path));

        Assert.Equal("AGS1014", error.Code);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void A_link_that_leads_to_the_root_is_refused_like_the_root()
    {
        var link = Path.Combine(_temp.Path, "innocent");
        Directory.CreateSymbolicLink(link, "/");

        Assert.Equal("AGS1014", Assert.Throws<AgentSandboxException>(() => Spec(link)).Code);
    }

    [Theory]
    [InlineData("relative")]
    [InlineData("/")]
    [InlineData("/workspace/cache")]
    [InlineData("/a/../workspace")]
    public void A_target_that_is_not_absolute_or_lies_in_the_workspace_is_AGS1014(string target)
    {
        var cache = _temp.CreateDirectory("cache");

        Assert.Equal("AGS1014", Assert.Throws<AgentSandboxException>(() => Spec(cache, target)).Code);
    }
}
