using AgentSandbox.Common;
using AgentSandbox.Errors;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Our own files are written where they belong, never through a link an agent planted on the way.</summary>
public sealed class SafeFilesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_link_in_place_of_our_file_is_replaced_and_what_it_pointed_at_is_untouched()
    {
        var outside = _temp.Write("outside/precious.txt", "the user's");
        var workspace = _temp.CreateDirectory("workspace");
        var result = Path.Combine(workspace, "obj", "agent", "AgentRun", "result.json");
        Directory.CreateDirectory(Path.GetDirectoryName(result)!);
        File.CreateSymbolicLink(result, outside);

        SafeFiles.Write(result, "{}"u8, workspace);

        Assert.Equal("the user's", File.ReadAllText(outside));
        Assert.Null(new FileInfo(result).LinkTarget);
        Assert.Equal("{}", File.ReadAllText(result));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(result)!));
    }

    [Theory]
    [InlineData("obj")]
    [InlineData("obj/agent")]
    [InlineData("obj/agent/AgentRun")]
    public void A_linked_folder_on_the_way_is_AGS9002_and_nothing_is_written(string linked)
    {
        var elsewhere = _temp.CreateDirectory("elsewhere");
        var workspace = _temp.CreateDirectory("workspace");
        var link = Path.Combine(workspace, linked);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        Directory.CreateSymbolicLink(link, elsewhere);

        var error = Assert.Throws<AgentSandboxException>(() =>
            SafeFiles.Write(Path.Combine(workspace, "obj", "agent", "AgentRun", "result.json"), "{}"u8, workspace));

        Assert.Equal("AGS9002", error.Code);
        Assert.Contains(link, error.Message);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(elsewhere, "*", SearchOption.AllDirectories), path => path.EndsWith("result.json", StringComparison.Ordinal));
    }

    [Fact]
    public void Folders_above_the_agents_reach_are_the_users_and_may_be_links()
    {
        var real = _temp.CreateDirectory("real");
        var linked = Path.Combine(_temp.Path, "linked");
        Directory.CreateSymbolicLink(linked, real);

        SafeFiles.Write(Path.Combine(linked, "project", "obj", "result.json"), "{}"u8, Path.Combine(linked, "project"));

        Assert.True(File.Exists(Path.Combine(real, "project", "obj", "result.json")));
    }

    [Fact]
    public void Deleting_a_link_of_ours_deletes_the_link_only()
    {
        var outside = _temp.Write("outside/precious.txt", "the user's");
        var workspace = _temp.CreateDirectory("workspace");
        var result = Path.Combine(workspace, "result.json");
        File.CreateSymbolicLink(result, outside);

        SafeFiles.Delete(result, workspace);

        Assert.False(File.Exists(result));
        Assert.Equal("the user's", File.ReadAllText(outside));
    }

    [Fact]
    public void A_folder_the_agents_own_user_owns_is_AGS9003_and_the_build_users_own_folders_are_fine()
    {
        var workspace = _temp.CreateDirectory("workspace");
        var obj = _temp.CreateDirectory("workspace/obj");
        var own = AgentSandbox.Project.HostUser.OwnerOf(obj);
        Assert.Equal(OperatingSystem.IsLinux() ? AgentSandbox.Project.HostUser.Current().Uid : null, own);
        if (own != 0)
        {
            return; // Giving a folder to another user needs root.
        }
        using (var chown = System.Diagnostics.Process.Start("chown", ["4321:4321", obj])!)
        {
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }

        SafeFiles.Write(Path.Combine(obj, "agent", "ok.json"), "{}"u8, workspace, agentUid: 1000);
        var error = Assert.Throws<AgentSandboxException>(() => SafeFiles.Write(Path.Combine(obj, "agent", "result.json"), "{}"u8, workspace, agentUid: 4321));

        Assert.Equal("AGS9003", error.Code);
        Assert.Contains(obj, error.Message);
    }
}
