using AgentSandbox.Docker;
using AgentSandbox.Project;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The commands of a container held open around its command: who holds it, and what counts as a kill for memory.</summary>
public sealed class HeldContainerTests
{
    [Fact]
    public void The_holder_is_never_the_files_owner()
    {
        Assert.Equal("65534:65534", HeldContainer.HolderUser(new HostUser(1000, 1000)));
        Assert.Equal("65534:65534", HeldContainer.HolderUser(new HostUser(0, 0)));
        Assert.Equal("65533:65533", HeldContainer.HolderUser(new HostUser(65534, 65534)));
    }

    [Fact]
    public void The_command_reaches_the_shell_as_arguments_never_as_its_script()
    {
        var command = HeldContainer.Command(["claude", "-p", "$(rm -rf /); `id`"]);

        Assert.Equal(["sh", "-c", "\"$@\"; status=$?; kill -s KILL -- -1 2>/dev/null; exit $status", "sh", "claude", "-p", "$(rm -rf /); `id`"], command);
    }

    [Fact]
    public void The_tree_comes_back_named_after_its_folder_once_nothing_of_the_owners_runs()
    {
        Assert.Equal(["sh", "-c", "kill -s KILL -- -1 2>/dev/null; tar -c -f - --ignore-failed-read -C / workspace"], HeldContainer.CopyOut("/workspace", changedOnly: false));
        Assert.Equal(["sh", "-c", "kill -s KILL -- -1 2>/dev/null; tar -c -f - --ignore-failed-read -C /srv tree"], HeldContainer.CopyOut("/srv/tree/", changedOnly: false));
        Assert.StartsWith("kill -s KILL -- -1 2>/dev/null; cd / && rm -f /tmp/.agentsandbox-listing && find workspace -printf '%y %p\\0'", HeldContainer.CopyOut("/workspace", changedOnly: true)[2]);
    }

    [Theory]
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", true)]
    [InlineData("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n", true)]
    [InlineData("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", false)]
    [InlineData("", false)]
    public void A_kill_for_memory_is_read_from_the_containers_cgroup_v1_or_v2(string output, bool killed) =>
        Assert.Equal(killed, HeldContainer.CountsMemoryKill(output));
}
