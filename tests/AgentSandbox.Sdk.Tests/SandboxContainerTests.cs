using AgentSandbox.Common;
using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;
using Docker.DotNet.Models;

namespace AgentSandbox.Sdk.Tests;

/// <summary>
/// The shape of every container: no privileges, init, pids limit, labels, and the workspace mounts.
/// </summary>
public sealed class SandboxContainerTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private sealed record MountView(string? Type, string? Source, string? Target, bool ReadOnly);

    private AgentRunSpec Spec(string? preset = null, string? network = null, string? projectDirectory = null, string? workspaceRoot = null) =>
        Specs.RunSpec(Specs.Run(projectDirectory ?? _temp.Path, "Do it", "Agent" + (preset ?? "Run")) with { Network = network, WorkspaceRoot = workspaceRoot });

    /// <summary>Our container request as the engine receives it: the shape and its translation to Docker's API together.</summary>
    private static CreateContainerParameters Create(
        AgentRunSpec spec, bool readOnlyWorkspace, IReadOnlyList<string>? command = null, IList<string>? environment = null, string purpose = "agent", string? workingDirectory = null) =>
        EngineModels.Container(DockerEngine.CreateParameters(SandboxContainer.Create(spec, "agentsandbox:0123456789abcdef", purpose, command ?? spec.Command,
            ContainerEnvironment.Empty.With((environment ?? []).Select(e => e.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1]))),
            readOnlyWorkspace, workingDirectory)));

    /// <summary>What the container gets of the host and of its own, without the package cache (<see cref="The_package_cache_is_a_volume_of_the_workspace_s_own_in_every_container_unless_turned_off"/>).</summary>
    private static List<MountView> Mounts(CreateContainerParameters container) =>
        container.HostConfig!.Mounts!.Where(m => m.Target != SandboxPaths.PackageCache).Select(m => new MountView(m.Type, m.Source, m.Target, m.ReadOnly == true)).ToList();

    [Fact]
    public void The_package_cache_is_a_volume_of_the_workspace_s_own_in_every_container_unless_turned_off()
    {
        var other = _temp.CreateDirectory("other");
        var agent = Create(Spec(), false).HostConfig!.Mounts!.Single(m => m.Target == SandboxPaths.PackageCache);
        var build = Create(Spec(), true, purpose: "build").HostConfig!.Mounts!.Single(m => m.Target == SandboxPaths.PackageCache);
        var elsewhere = Create(Spec(projectDirectory: other), false).HostConfig!.Mounts!.Single(m => m.Target == SandboxPaths.PackageCache);
        var off = Specs.RunSpec(Specs.Run(_temp.Path) with { PackageCache = "false" });

        Assert.Equal("volume", agent.Type);
        Assert.StartsWith("agentsandbox-nuget-", agent.Source);
        Assert.Equal(agent.Source, build.Source);
        Assert.NotEqual(agent.Source, elsewhere.Source);
        Assert.False(agent.ReadOnly == true);
        // Found again by AgentSandboxClean (the version label), never taken for a run's leftover (no process labels).
        var labels = agent.VolumeOptions!.Labels!;
        Assert.Equal("nuget", labels["org.agentsandbox.cache"]);
        Assert.Equal(_temp.Path, labels["org.agentsandbox.workspace"]);
        Assert.True(labels.ContainsKey(RunIdentity.VersionLabel));
        Assert.False(labels.ContainsKey(RunIdentity.ProcessLabel));
        // Worktree mode works on a worktree of the workspace; the cache stays the workspace's, label and all.
        var onWorktree = Spec() with { Workspace = Spec().Workspace with { Root = _temp.CreateDirectory("worktree") } };
        var worktreeCache = Create(onWorktree, false).HostConfig!.Mounts!.Single(m => m.Target == SandboxPaths.PackageCache);
        Assert.Equal((agent.Source, _temp.Path), (worktreeCache.Source, worktreeCache.VolumeOptions!.Labels!["org.agentsandbox.workspace"]));
        Assert.Null(off.PackageCacheVolume);
        Assert.DoesNotContain(Create(off, false).HostConfig!.Mounts!, m => m.Target == SandboxPaths.PackageCache);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Container_has_no_capabilities_no_new_privileges_a_pids_limit_and_an_init(bool readOnlyWorkspace)
    {
        var hostConfig = Create(Spec(), readOnlyWorkspace).HostConfig!;

        Assert.Equal(["ALL"], hostConfig.CapDrop);
        Assert.Equal(["no-new-privileges"], hostConfig.SecurityOpt);
        Assert.Equal(4096L, hostConfig.PidsLimit);
        Assert.True(hostConfig.Init);
    }

    [Fact]
    public void Container_runs_the_command_as_an_argument_vector_in_the_workspace_on_the_specs_network()
    {
        var parameters = Create(Spec(network: "none"), false, command: ["claude", "-p", "--", "a; rm -rf / $(x)"], environment: ["A=1", "B=2"]);

        Assert.Equal("agentsandbox:0123456789abcdef", parameters.Image);
        Assert.Equal(["claude"], parameters.Entrypoint);
        Assert.Equal(["-p", "--", "a; rm -rf / $(x)"], parameters.Cmd);
        Assert.Equal(["A=1", "B=2"], parameters.Env);
        Assert.Equal("/workspace", parameters.WorkingDir);
        Assert.Equal("none", parameters.HostConfig!.NetworkMode);
        Assert.True(parameters.AttachStdout);
        Assert.True(parameters.AttachStderr);
    }

    [Fact]
    public void Container_is_labelled_with_target_and_project_and_named_uniquely()
    {
        var spec = Spec(preset: "Review");

        var first = Create(spec, true, purpose: "build");
        var second = Create(spec, true, purpose: "build");

        var labels = first.Labels;
        Assert.Equal("AgentReview", labels["org.agentsandbox.target"]);
        Assert.Equal("build", labels["org.agentsandbox.purpose"]);
        Assert.Equal(Specs.Identity.PackageVersion, labels["org.agentsandbox.version"]);
        Assert.Equal(Specs.Identity.SessionId, labels["org.agentsandbox.session"]);
        Assert.Equal(Specs.Identity.RunId, labels["org.agentsandbox.run"]);
        Assert.Equal(_temp.Path, labels["org.agentsandbox.project"]);
        Assert.Matches("^agentsandbox-agentreview-build-[0-9a-f]{32}$", first.Name);
        Assert.NotEqual(first.Name, second.Name);
    }

    [Fact]
    public void Read_only_workspace_is_one_read_only_mount_even_with_a_git_directory()
    {
        _temp.CreateDirectory(".git");

        Assert.Equal([new MountView("bind", _temp.Path, "/workspace", true)], Mounts(Create(Spec(preset: "Review"), true)));
    }

    [Fact]
    public void Writable_workspace_gets_its_git_directory_mounted_read_only_on_top()
    {
        _temp.CreateDirectory(".git/hooks");

        Assert.Equal(
            [new MountView("bind", _temp.Path, "/workspace", false), new MountView("bind", Path.Combine(_temp.Path, ".git"), "/workspace/.git", true)],
            Mounts(Create(Spec(), false)));
    }

    [Fact]
    public void Git_file_of_a_worktree_is_mounted_read_only_too()
    {
        _temp.Write(".git", "gitdir: /repo/.git/worktrees/x\n");

        Assert.Equal(new MountView("bind", Path.Combine(_temp.Path, ".git"), "/workspace/.git", true), Mounts(Create(Spec(), false))[1]);
    }

    [Fact]
    public void Workspace_without_git_is_one_writable_mount()
    {
        Assert.Equal([new MountView("bind", _temp.Path, "/workspace", false)], Mounts(Create(Spec(), false)));
    }

    [Fact]
    public void Workspace_root_above_the_project_is_mounted_and_the_project_is_the_working_directory()
    {
        _temp.CreateDirectory(".git");
        var project = _temp.CreateDirectory("src/App");
        var spec = Spec(projectDirectory: project, workspaceRoot: _temp.Path);

        var parameters = Create(spec, false);

        Assert.Equal(
            [new MountView("bind", _temp.Path, "/workspace", false), new MountView("bind", Path.Combine(_temp.Path, ".git"), "/workspace/.git", true)],
            Mounts(parameters));
        Assert.Equal("/workspace/src/App", parameters.WorkingDir);
        Assert.Equal(project, (parameters.Labels)["org.agentsandbox.project"]);
    }

    [Fact]
    public void Working_directory_can_be_given_for_builds_of_the_whole_workspace()
    {
        var spec = Spec(projectDirectory: _temp.CreateDirectory("src/App"), workspaceRoot: _temp.Path);

        Assert.Equal("/workspace", Create(spec, true, workingDirectory: SandboxPaths.Workspace).WorkingDir);
    }

    [Fact]
    public void Every_container_has_a_size_limited_tmp_in_memory_where_builds_can_run_what_they_compile()
    {
        var spec = Specs.RunSpec(Specs.Run(_temp.Path) with { TmpSize = "512m" });

        var hostConfig = Create(spec, readOnlyWorkspace: false).HostConfig!;

        Assert.Equal(new KeyValuePair<string, string>("/tmp", "rw,exec,nosuid,nodev,size=536870912,mode=1777"), Assert.Single(hostConfig.Tmpfs!));
        Assert.False(hostConfig.ReadonlyRootfs);
    }

    [Fact]
    public void A_read_only_root_leaves_the_workspace_in_memory_and_the_home_in_memory_as_the_agents()
    {
        var spec = Specs.RunSpec(Specs.Run(_temp.Path) with { ReadOnlyRootFilesystem = "true" });
        using var copy = WorkspaceCopy.Pack(_temp.Path, spec.User);

        var request = SandboxContainer.Create(spec, "agentsandbox:0123456789abcdef", "agent", spec.Command, spec.Environment, false, copy: copy, collect: true);
        var parameters = EngineModels.Container(DockerEngine.CreateParameters(request));

        Assert.True(parameters.HostConfig!.ReadonlyRootfs);
        Assert.Equal($"rw,exec,nosuid,nodev,size={SandboxLimits.DefaultTmpBytes},uid=1000,gid=1000,mode=0700", parameters.HostConfig!.Tmpfs!["/home/agent"]);
        Assert.Equal($"rw,exec,nosuid,nodev,size={SandboxLimits.DefaultMemoryBytes / 2},uid=1000,gid=1000,mode=0700", parameters.HostConfig!.Tmpfs!["/workspace"]);
        Assert.DoesNotContain(Mounts(parameters), mount => mount.Target == "/workspace");
        // Held open by a process of another user's; the agent runs in it as its own.
        Assert.Equal(["tail", "-f", "/dev/null"], [.. parameters.Entrypoint, .. parameters.Cmd]);
        Assert.Equal("65534:65534", parameters.User);
        Assert.True(parameters.HostConfig!.Init);
    }

    [Fact]
    public void A_tree_too_large_for_memory_goes_to_a_volume_of_its_own_under_a_read_only_root()
    {
        var spec = Specs.RunSpec(Specs.Run(_temp.Path) with { ReadOnlyRootFilesystem = "true", MemoryLimit = "8m" });
        File.WriteAllBytes(Path.Combine(_temp.Path, "data.bin"), new byte[2 * 1024 * 1024]);
        using var copy = WorkspaceCopy.Pack(_temp.Path, spec.User);

        var request = SandboxContainer.Create(spec, "agentsandbox:0123456789abcdef", "agent", spec.Command, spec.Environment, false, copy: copy, collect: true);
        var parameters = EngineModels.Container(DockerEngine.CreateParameters(request));

        Assert.False(parameters.HostConfig!.Tmpfs!.ContainsKey("/workspace"));
        Assert.Contains(new MountView("volume", null, "/workspace", false), Mounts(parameters));
    }
}
