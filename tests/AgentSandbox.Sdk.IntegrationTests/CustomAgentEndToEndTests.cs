using System.Text;
using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>AgentKind custom: the user's install command shapes the image, the user's command runs as the agent.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class CustomAgentEndToEndTests
{
    // The prompt arrives as $1 of a script of the user's own; it must not be run as shell code on the way.
    private const string Prompt = "Greet $(whoami) and `id`; keep 'quotes'";

    [DockerFact]
    public void RunsTheInstalledCommandWithThePromptAndReportsEachLine()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["CUSTOM_AGENT_TOKEN"] = "custom-token-0123456789" });
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(
            ("AgentKind", "custom"),
            ("AgentInstallCommand", "printf 'installed by AgentInstallCommand\\n' > /etc/custom-agent-marker"),
            ("AgentCommand", "sh;-c;cat /etc/custom-agent-marker && printf 'prompt: %s\\n' \"$1\" && echo \"token: $CUSTOM_AGENT_TOKEN\" && sed -i s/World/Custom/ Program.cs && echo done;agent;{prompt}"),
            ("AgentEnvironmentVariables", "CUSTOM_AGENT_TOKEN"),
            ("AgentMaxTurns", "5"),
            ("AgentPrompt", Prompt)));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains("Hello, Custom!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Contains(run.Messages, m => m.Text == "custom: installed by AgentInstallCommand");
        Assert.Contains(run.Messages, m => m.Text == $"custom: prompt: {Prompt}");
        Assert.Contains(run.Messages, m => m.Text == "custom: token: ***");
        Assert.DoesNotContain("custom-token-0123456789", run.Log);
        Assert.Contains(run.Warnings, w => w.Code == "AGS1102" && w.Text.StartsWith("AgentMaxTurns is not supported by custom agent 'sh'", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Warnings, w => w.Code == "AGS4102");
        Assert.Contains(run.Messages, m => m.Text.StartsWith("AgentRun for Sample: custom agent 'sh' succeeded:", StringComparison.Ordinal));
        var dockerfile = File.ReadAllText(Path.Combine(project.SandboxDirectory, "context", "Dockerfile"));
        Assert.DoesNotContain("npm", dockerfile);

        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
        Assert.Equal("custom", result.RootElement.GetProperty("agent").GetString());
        Assert.Equal("done", result.RootElement.GetProperty("finalText").GetString());
        Assert.Empty(Shell.LeftoverContainers(project.Directory));
    }

    [DockerFact]
    public void APromptFileReachesTheAgentByteForByte()
    {
        // What shells, MSBuild and command lines take apart: both quotes, ; and , (MSBuild's separators), $() @() and
        // %3B (MSBuild's own), backticks, a backslash escape, newlines, a tab, text beyond ASCII, and what looks like options.
        const string prompt = "Say \"hi\" and 'bye'; then a;b, c\n$(HOME) @(Compile) %3B $(whoami) `id` \\n\n\tÜbergrößenträger, 中文, 🚀\n-- --help";
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "prompt.md"), prompt, new UTF8Encoding(false));

        var run = project.Build("AgentRun", SandboxProperties.ForTests(
            ("AgentKind", "custom"), ("AgentCommand", "sh;-c;printf %s \"$1\" > received.txt;agent;{prompt}"), ("AgentPromptFile", "prompt.md")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal(Encoding.UTF8.GetBytes(prompt), File.ReadAllBytes(Path.Combine(project.Directory, "received.txt")));
    }

    [DockerFact]
    public void AFailingCommandIsAGS4002WithItsLastLines()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(
            ("AgentKind", "custom"), ("AgentCommand", "sh;-c;echo 'cannot reach the model' && exit 3"), ("AgentPrompt", "Do it")));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4002", error.Code);
        Assert.Contains("custom agent 'sh' failed (exit code 3): cannot reach the model", error.Text);
    }

    [DockerFact]
    public void ASecondAgentTargetInTheSameBuildIsAGS1009InsteadOfDoingNothing()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        // dotnet build -t:AgentRun;AgentReview: the shared run targets have run, so the review would silently not happen.
        var run = project.Build("AgentRun;AgentReview", SandboxProperties.ForTests(
            ("AgentKind", "custom"), ("AgentCommand", "echo;reviewed"), ("AgentPrompt", "Do it")));

        Assert.False(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, m => m.Text.StartsWith("AgentRun for Sample: custom agent 'echo' succeeded", StringComparison.Ordinal));
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS1009", error.Code);
        Assert.StartsWith("AgentRun already ran in this build", error.Text);
    }

    [DockerFact]
    public void InMountModeGitMetadataIsReadOnlyWhereItExistsAndQuarantinedWithAGS4008WhereTheAgentCreatesIt()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        Directory.CreateDirectory(Path.Combine(project.Directory, ".git", "hooks"));
        Directory.CreateDirectory(Path.Combine(project.Directory, "vendor", "lib", ".git", "hooks"));

        // What a hostile agent would do to get a command run by git on the host.
        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentWorkspaceMode", "mount"), ("AgentKind", "custom"), ("AgentPrompt", "Do it"), ("AgentCommand",
            // (AgentCommand is ;-separated, so the script chains with && and ||.)
            "sh;-c;(echo x > .git/hooks/pre-commit || echo refused) && (echo x > vendor/lib/.git/hooks/pre-commit || echo refused) && " +
            "mkdir -p src/.git && printf '[core]\\n\\tfsmonitor = touch /tmp/pwned\\n' > src/.git/config && echo planted")));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4008", error.Code);
        Assert.Contains("src/.git", error.Text);
        Assert.False(Directory.Exists(Path.Combine(project.Directory, "src", ".git")));
        Assert.True(File.Exists(Path.Combine(project.Directory, "src", ".git.quarantined-by-agentsandbox", "config")));
        Assert.False(File.Exists(Path.Combine(project.Directory, ".git", "hooks", "pre-commit")));
        Assert.False(File.Exists(Path.Combine(project.Directory, "vendor", "lib", ".git", "hooks", "pre-commit")));
        Assert.Equal(2, run.Messages.Count(m => m.Text == "custom: refused"));
        Assert.Equal(2, run.Messages.Count(m => m.Text.Contains("Read-only file system", StringComparison.Ordinal)));
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
        Assert.Equal("src/.git (renamed to .git.quarantined-by-agentsandbox)",
            Assert.Single(result.RootElement.GetProperty("plantedGitMetadata").EnumerateArray()).GetString());
        Assert.False(result.RootElement.GetProperty("success").GetBoolean());
    }

    [DockerFact]
    public void InMountModeBuildsTheAgentRunsLeaveTheTreeAloneAndPlantedBuildOutputIsAGS4103()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        // A real dotnet build by the agent, then a binary dropped where the host's next build would pick it up.
        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentWorkspaceMode", "mount"), ("AgentBaseImage", TestDocker.SdkImage), ("AgentKind", "custom"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;dotnet build -nologo -v:q Sample.csproj && echo built")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, m => m.Text == "custom: built");
        Assert.False(Directory.Exists(Path.Combine(project.Directory, "bin")), "the agent's build wrote bin/ into the project");
        Assert.Equal(["agent"], Directory.GetDirectories(Path.Combine(project.Directory, "obj")).Select(Path.GetFileName));
        Assert.DoesNotContain(run.Warnings, w => w.Code == "AGS4103");

        var planted = project.Build("AgentRun", SandboxProperties.ForTests(("AgentWorkspaceMode", "mount"), ("AgentKind", "custom"), ("AgentPrompt", "Do it"),
            ("AgentCommand", "sh;-c;mkdir -p obj/Debug/net10.0 && echo fake > obj/Debug/net10.0/Sample.dll && echo planted")));

        Assert.True(planted.Succeeded, planted.Log);
        var warning = Assert.Single(planted.Warnings, w => w.Code == "AGS4103");
        Assert.StartsWith("1 file(s) of build output in bin/ or obj/ changed during the run", warning.Text);
    }

    [DockerFact]
    public void InMountModePlantedGitMetadataIsReportedAlsoWhenTheAgentFails()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentWorkspaceMode", "mount"), ("AgentKind", "custom"), ("AgentPrompt", "Do it"),
            ("AgentCommand", "sh;-c;mkdir -p tools/.git && echo '[core]' > tools/.git/config && echo 'giving up' && exit 3")));

        Assert.False(run.Succeeded, run.Log);
        Assert.Equal(["AGS4002", "AGS4008"], run.Errors.Select(e => e.Code).Order());
        Assert.True(Directory.Exists(Path.Combine(project.Directory, "tools", ".git.quarantined-by-agentsandbox")));
        Assert.False(Directory.Exists(Path.Combine(project.Directory, "tools", ".git")));
    }

    [DockerFact]
    public void A_folder_the_agent_renames_arrives_renamed_with_its_files()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        Directory.CreateDirectory(Path.Combine(project.Directory, "Services", "Greeting"));
        File.WriteAllText(Path.Combine(project.Directory, "Services", "Greeting", "Greeter.cs"), "class Greeter {}\n");

        // The files keep their own status when their folder is renamed: they must come back all the same.
        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentCommand", "sh;-c;mv Services Core")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Equal("class Greeter {}\n", File.ReadAllText(Path.Combine(project.Directory, "Core", "Greeting", "Greeter.cs")));
        Assert.False(File.Exists(Path.Combine(project.Directory, "Services", "Greeting", "Greeter.cs")));
    }

    [DockerFact]
    public void The_agent_runs_within_AgentMemoryLimit_and_is_stopped_with_a_clear_reason_beyond_it()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        // cgroup v2 or v1: the limit as the container itself sees it.
        var within = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentMemoryLimit", "64m"),
            ("AgentCommand", "sh;-c;cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes")));
        Assert.True(within.Succeeded, within.Log);
        Assert.Contains(within.Messages, message => message.Text == $"custom: {64 * 1024 * 1024}");

        // tail holds a line without end in memory: 256 MiB of it cannot fit in 64.
        var beyond = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentMemoryLimit", "64m"), ("AgentCommand", "sh;-c;head -c 268435456 /dev/zero | tail -n 1 > /dev/null && echo survived")));
        Assert.False(beyond.Succeeded, beyond.Log);
        var error = Assert.Single(beyond.Errors);
        Assert.Equal("AGS4022", error.Code);
        Assert.Contains("AgentMemoryLimit (64 MiB)", error.Text);
    }

    [DockerFact]
    public void An_extra_mount_is_there_to_read_and_read_only_unless_said_otherwise()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        var cache = Path.Combine(Path.GetDirectoryName(project.Directory)!, "cache");
        Directory.CreateDirectory(cache);
        File.WriteAllText(Path.Combine(cache, "package.txt"), "cached\n");
        File.WriteAllText(project.ProjectPath, File.ReadAllText(project.ProjectPath).Replace("</Project>",
            $"<ItemGroup><AgentExtraMount Include=\"{cache}\" ContainerPath=\"/cache\" /></ItemGroup></Project>"));

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentCommand", "sh;-c;cat /cache/package.txt && (echo x > /cache/planted.txt || echo refused)")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, message => message.Text == "custom: cached");
        Assert.Contains(run.Messages, message => message.Text == "custom: refused");
        Assert.False(File.Exists(Path.Combine(cache, "planted.txt")));
    }

    [DockerFact]
    public async Task A_running_agent_container_has_every_hardening_setting()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        // The default network: the allowlist.
        var build = Task.Run(() => project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentPrompt", "Do it"),
            ("AgentMemoryLimit", "1g"), ("AgentCpuLimit", "1"), ("AgentTmpSize", "256m"), ("AgentCommand", "sh;-c;sleep 5"))));
        string id = "";
        for (var attempt = 0; attempt < 100 && id.Length == 0 && !build.IsCompleted; attempt++)
        {
            await Task.Delay(100);
            id = Shell.Run("docker", "ps", "-q", "--filter", $"label=org.agentsandbox.project={project.Directory}", "--filter", "label=org.agentsandbox.purpose=agent").Output.Trim();
        }
        Assert.NotEqual("", id);
        var (_, inspected) = Shell.Run("docker", "inspect", id);
        using var document = System.Text.Json.JsonDocument.Parse(inspected);
        var host = document.RootElement[0].GetProperty("HostConfig");
        var network = host.GetProperty("NetworkMode").GetString()!;
        Assert.True((await build).Succeeded);

        Assert.Equal(["ALL"], host.GetProperty("CapDrop").EnumerateArray().Select(value => value.GetString()));
        Assert.Contains("no-new-privileges", host.GetProperty("SecurityOpt").EnumerateArray().Select(value => value.GetString()));
        Assert.Equal(4096, host.GetProperty("PidsLimit").GetInt64());
        Assert.Equal(1L << 30, host.GetProperty("Memory").GetInt64());
        Assert.Equal(1L << 30, host.GetProperty("MemorySwap").GetInt64());
        Assert.Equal(1_000_000_000, host.GetProperty("NanoCpus").GetInt64());
        Assert.True(host.GetProperty("Init").GetBoolean());
        Assert.False(host.GetProperty("Privileged").GetBoolean());
        Assert.Equal("rw,exec,nosuid,nodev,size=268435456,mode=1777", host.GetProperty("Tmpfs").GetProperty("/tmp").GetString());
        Assert.False(host.GetProperty("ReadonlyRootfs").GetBoolean());
        // No network at all: the proxy's sockets, read-only, are its only way out.
        Assert.Equal("none", network);
        // Copy mode: nothing of the machine is mounted, least of all the engine's socket; the mounts are the
        // workspace's package cache, a volume of the engine's own, and the proxy's sockets, gone after the run.
        var mounts = document.RootElement[0].GetProperty("Mounts").EnumerateArray().OrderBy(mount => mount.GetProperty("Destination").GetString(), StringComparer.Ordinal).ToList();
        Assert.Equal([("volume", "/run/agentsandbox-egress", false), ("volume", "/var/cache/agentsandbox/nuget", true)],
            mounts.Select(mount => (mount.GetProperty("Type").GetString(), mount.GetProperty("Destination").GetString(), mount.GetProperty("RW").GetBoolean())));
        Assert.StartsWith("agentsandbox-nuget-", mounts[1].GetProperty("Name").GetString());
        Assert.NotEqual(0, Shell.Run("docker", "volume", "inspect", mounts[0].GetProperty("Name").GetString()!).ExitCode);
        Assert.DoesNotContain("docker.sock", inspected);
    }

    [DockerFact]
    public void AgentWorkspace_shows_the_agent_only_that_folder_of_the_project()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        Directory.CreateDirectory(Path.Combine(project.Directory, "docs"));
        File.WriteAllText(Path.Combine(project.Directory, "docs", "guide.md"), "# Guide\n");

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentWorkspace", "docs"), ("AgentCommand", "sh;-c;ls -A /workspace | tr '\\n' ' ' && echo && echo more >> guide.md")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, message => message.Text == "custom: guide.md");
        Assert.Equal("# Guide\nmore\n", File.ReadAllText(Path.Combine(project.Directory, "docs", "guide.md")));
    }

    [DockerFact]
    public void With_a_read_only_root_the_agent_writes_its_workspace_home_and_tmp_and_nothing_else()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentReadOnlyRootFilesystem", "true"),
            ("AgentCommand", "sh;-c;(touch /etc/planted 2>/dev/null && echo root-writable || echo root-read-only) && touch $HOME/.settings /tmp/scratch && echo new > New.txt && sed -i s/World/ReadOnly/ Program.cs")));

        Assert.True(run.Succeeded, run.Log);
        Assert.Contains(run.Messages, message => message.Text == "custom: root-read-only");
        Assert.Contains("Hello, ReadOnly!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(project.Directory, "New.txt")));
        Assert.Equal("", Shell.LeftoverContainers(project.Directory));
    }
}
