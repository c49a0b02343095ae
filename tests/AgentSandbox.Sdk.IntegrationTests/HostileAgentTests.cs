using System.Security.Cryptography;
using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>
/// A custom agent standing in for a prompt-injected model, in the default copy mode: everything it tries in order to
/// get the host to run, follow or print something of its choosing ends in a failed run, an untouched tree and a clean log.
/// </summary>
[Collection(MSBuildCollection.Name)]
public sealed class HostileAgentTests
{
    private const string Token = "custom-token-0123456789abcdef";

    /// <summary>Everything at the top of the trust-boundary issue, as a script the custom agent runs.</summary>
    private static (TestProject Project, string Marker, string Outside) HostileProject()
    {
        var project = new TestProject();
        var marker = Path.Combine(Path.GetTempPath(), $"agentsandbox-hostile-{Guid.NewGuid():N}");
        var outside = Path.Combine(Path.GetDirectoryName(project.Directory)!, "outside.txt");
        File.WriteAllText(outside, "the user's\n");
        File.WriteAllText(Path.Combine(project.Directory, "hostile.sh"), $$"""
            set -e
            printf '<Project><Target Name="Planted" BeforeTargets="Build"><Exec Command="touch {{marker}}" /></Target></Project>\n' > Directory.Build.targets
            mkdir -p .vs && printf '<Project><PropertyGroup><AgentNetwork>host</AgentNetwork><AgentWorkspaceRoot>/</AgentWorkspaceRoot></PropertyGroup></Project>\n' > .vs/h.props
            ln -s .vs/h.props Directory.Build.props
            ln -s ../outside.txt outside-link
            echo x > 'a:b.txt'
            echo leaked > "key-$CUSTOM_AGENT_TOKEN.txt"
            mkdir -p obj/Debug/net10.0 && echo patched > obj/Debug/net10.0/Sample.dll
            mkdir -p obj/agent/AgentRun && ln -sf ../../../../outside.txt obj/agent/AgentRun/result.json
            mkdir -p tools/.git && printf '[core]\n\tfsmonitor = touch {{marker}}\n' > tools/.git/config
            mkdir -p vendored/objects && echo 'ref: refs/heads/main' > vendored/HEAD && echo '[core]' > vendored/config
            sed -i s/World/Hostile/ Program.cs
            printf 'x\r::error file=Program.cs,line=1::owned\n'
            echo '::add-mask::nothing'
            echo '  ::set-output name=owned::yes'
            echo '##vso[task.setvariable variable=owned]yes'
            echo 'old ##[error]owned'
            printf '\033[31mred\033[0m\n'
            echo done
            """);
        return (project, marker, outside);
    }

    private static BuildRun RunHostile(TestProject project, string mode) => project.Build("AgentRun", SandboxProperties.ForTests(
        ("AgentWorkspaceMode", mode), ("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
        ("AgentCommand", "sh;hostile.sh"), ("AgentEnvironmentVariables", "CUSTOM_AGENT_TOKEN")));

    /// <summary>No line of the log, at any importance, is a CI command or a terminal escape, and the key is nowhere.</summary>
    private static void AssertCleanLog(BuildRun run)
    {
        foreach (var line in run.MessageLines.Concat(run.Errors.SelectMany(e => e.Text.Split('\n'))).Concat(run.Warnings.SelectMany(w => w.Text.Split('\n'))))
        {
            Assert.False(line.TrimStart().StartsWith("::", StringComparison.Ordinal), line);
            Assert.DoesNotContain("##vso[", line, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("##[", line, StringComparison.Ordinal);
            Assert.DoesNotContain('\u001b', line);
            Assert.DoesNotContain('\r', line);
        }
        Assert.Contains(run.MessageLines, line => line.Contains("key-***.txt", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, run.Log);
    }

    /// <summary>A plain build and run on the host: nothing the agent planted runs.</summary>
    private static string RunOnHost(TestProject project, string marker)
    {
        var (exitCode, output) = Shell.RunIn(project.Directory, "dotnet", "run", "-nodeReuse:false");
        Assert.True(exitCode == 0, output);
        Assert.False(File.Exists(marker), "the host's build ran something the agent planted");
        return output;
    }

    [DockerFact]
    public void A_hostile_agent_changes_nothing_the_host_runs_follows_or_prints()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["CUSTOM_AGENT_TOKEN"] = Token, ["GITHUB_ACTIONS"] = null });
        var (project, marker, outside) = HostileProject();
        using var _ = project;
        var before = TreeHashes(project.Directory);

        var run = RunHostile(project, "copy");

        // Failed, with a code for each kind of thing it tried.
        Assert.False(run.Succeeded, run.Log);
        var codes = run.Errors.Select(error => error.Code).ToHashSet();
        Assert.Superset(new HashSet<string> { "AGS4008", "AGS4012", "AGS4013" }, codes);
        Assert.Contains(run.Errors, error => error.Code == "AGS4012" && error.Text.Contains("Directory.Build.targets", StringComparison.Ordinal));
        Assert.Contains(run.Errors, error => error.Code == "AGS4013" && error.Text.Contains("Directory.Build.props", StringComparison.Ordinal) && error.Text.Contains("outside-link", StringComparison.Ordinal));
        Assert.Contains(run.Errors, error => error.Code == "AGS4008" && error.Text.Contains("tools/.git", StringComparison.Ordinal) && error.Text.Contains("vendored", StringComparison.Ordinal));

        // The tree and what lies outside it are exactly as they were (AgentSandbox's own obj/agent aside).
        Assert.Equal(before, TreeHashes(project.Directory));
        Assert.Equal("the user's\n", File.ReadAllText(outside));

        // A plain build and run on the host run nothing it planted, and the program is the user's.
        Assert.Contains("Hello, World!", RunOnHost(project, marker));
        AssertCleanLog(run);
        var resultPath = Path.Combine(project.SandboxDirectory, "AgentRun", "result.json");
        var resultText = File.ReadAllText(resultPath);
        Assert.DoesNotContain(Token, resultText);
        using var result = JsonDocument.Parse(resultText);
        Assert.False(result.RootElement.GetProperty("applied").GetBoolean());
        var patch = result.RootElement.GetProperty("patch").GetString()!;
        Assert.DoesNotContain(Token, File.ReadAllText(patch));
        Assert.Contains("Hello, Hostile!", File.ReadAllText(patch));
        Assert.Contains(result.RootElement.GetProperty("refused").EnumerateArray(), refusal => refusal.GetProperty("path").GetString() == "Directory.Build.targets");
        Assert.Empty(Shell.LeftoverContainers(project.Directory));
    }

    [DockerFact]
    public void In_mount_mode_what_the_check_refuses_is_moved_aside_and_the_run_fails()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["CUSTOM_AGENT_TOKEN"] = Token, ["GITHUB_ACTIONS"] = null });
        var (project, marker, outside) = HostileProject();
        using var _ = project;

        var run = RunHostile(project, "mount");

        Assert.False(run.Succeeded, run.Log);
        Assert.Superset(new HashSet<string> { "AGS4008", "AGS4012", "AGS4013" }, run.Errors.Select(error => error.Code).ToHashSet());
        Assert.Contains(run.Errors, error => error.Code == "AGS4012" && error.Text.Contains("moved aside", StringComparison.Ordinal));
        // What the host would run or follow is out of the way, kept for inspection; the rest of the live edit stays.
        foreach (var refused in new[] { "Directory.Build.targets", "Directory.Build.props", "outside-link" })
        {
            Assert.False(Path.Exists(Path.Combine(project.Directory, refused)) || new FileInfo(Path.Combine(project.Directory, refused)).LinkTarget is not null, refused);
            Assert.True(new FileInfo(Path.Combine(project.Directory, refused + ".refused-by-agentsandbox")) is { } aside && (aside.Exists || aside.LinkTarget is not null), refused);
        }
        Assert.True(Directory.Exists(Path.Combine(project.Directory, "tools", ".git.quarantined-by-agentsandbox")));
        Assert.Contains(run.Warnings, warning => warning.Code == "AGS4103");
        Assert.Equal("the user's\n", File.ReadAllText(outside));
        Assert.Contains("Hello, Hostile!", RunOnHost(project, marker));
        AssertCleanLog(run);
    }

    [DockerFact]
    public void In_mount_mode_edits_that_keep_a_files_size_and_times_are_seen_all_the_same()
    {
        using var project = new TestProject();
        var props = Path.Combine(project.Directory, "Directory.Build.props");
        File.WriteAllText(props, "<Project><PropertyGroup><Owner>user</Owner></PropertyGroup></Project>\n");
        // Build output the host's next build would use without compiling it.
        var output = Path.Combine(project.Directory, "obj", "Debug", "net10.0", "Tool.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllText(output, "GOOD\n");
        // The same length, and the times put back from a file that took them before the edit: only the change time,
        // which no process can set back, says that it was written.
        File.WriteAllText(Path.Combine(project.Directory, "sly.sh"), """
            set -e
            touch -r Directory.Build.props /tmp/times
            printf '<Project><PropertyGroup><Owner>evil</Owner></PropertyGroup></Project>\n' > Directory.Build.props
            touch -r /tmp/times Directory.Build.props
            touch -r obj/Debug/net10.0/Tool.dll /tmp/times
            printf 'EVIL\n' > obj/Debug/net10.0/Tool.dll
            touch -r /tmp/times obj/Debug/net10.0/Tool.dll
            echo done
            """);

        var run = project.Build("AgentRun", SandboxProperties.ForTests(
            ("AgentWorkspaceMode", "mount"), ("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"), ("AgentCommand", "sh;sly.sh")));

        Assert.False(run.Succeeded, run.Log);
        Assert.Contains(run.Errors, error => error.Code == "AGS4012" && error.Text.Contains("Directory.Build.props", StringComparison.Ordinal));
        Assert.Contains("<Owner>user</Owner>", File.ReadAllText(props));
        Assert.Contains("<Owner>evil</Owner>", File.ReadAllText(props + ".refused-by-agentsandbox"));
        Assert.Contains(run.Warnings, warning => warning.Code == "AGS4103");
    }

    [DockerFact]
    public void In_worktree_mode_nothing_it_tried_is_committed_and_the_working_tree_stays()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["CUSTOM_AGENT_TOKEN"] = Token, ["GITHUB_ACTIONS"] = null });
        var (project, marker, _) = HostileProject();
        using var disposable = project;
        var repository = Path.GetDirectoryName(project.Directory)!;
        File.WriteAllText(Path.Combine(repository, ".gitignore"), "bin/\nobj/\n");
        foreach (var arguments in new[] { new[] { "init", "-q" }, ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first"] })
        {
            Assert.Equal(0, Shell.RunIn(repository, "git", arguments).ExitCode);
        }
        var before = TreeHashes(project.Directory);
        var head = Shell.RunIn(repository, "git", "rev-parse", "HEAD").Output;

        var run = RunHostile(project, "worktree");

        Assert.False(run.Succeeded, run.Log);
        Assert.Superset(new HashSet<string> { "AGS4008", "AGS4012", "AGS4013" }, run.Errors.Select(error => error.Code).ToHashSet());
        Assert.Equal(before, TreeHashes(project.Directory));
        // The run's branch holds no commit of the agent's: it still is HEAD.
        var branches = Shell.RunIn(repository, "git", "for-each-ref", "--format=%(objectname)", "refs/heads/agent/").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(branches, commit => Assert.Equal(head.Trim(), commit));
        Assert.Contains("Hello, World!", RunOnHost(project, marker));
        AssertCleanLog(run);
    }

    [DockerFact]
    public void Under_GitHub_Actions_the_agents_output_is_wrapped_in_stop_commands_with_a_token_nobody_can_guess()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?> { ["GITHUB_ACTIONS"] = "true" });
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentCommand", "sh;-c;echo '::stop-commands::guess' && echo '::guess::' && echo '::error::owned' && echo done")));

        Assert.True(run.Succeeded, run.Log);
        var lines = run.Messages.Select(message => message.Text).ToList();
        var start = lines.FindIndex(line => line.StartsWith("::stop-commands::", StringComparison.Ordinal));
        Assert.True(start >= 0, run.Log);
        var token = lines[start]["::stop-commands::".Length..];
        Assert.Matches("^[0-9a-f]{32}$", token);
        var end = lines.IndexOf($"::{token}::");
        Assert.True(end > start, run.Log);
        // The agent's own lines fall in between (not at the start of a line); no other line starts a command.
        Assert.Contains(lines[start..end], line => line == "custom: ::error::owned");
        Assert.Contains(lines[start..end], line => line == "custom: ::guess::");
        Assert.Equal(2, run.MessageLines.Count(line => line.TrimStart().StartsWith("::", StringComparison.Ordinal)));
    }

    [DockerFact]
    public void A_run_that_fails_leaves_the_tree_byte_for_byte_and_its_changes_in_a_patch_git_applies()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "Old.cs"), "class Old {}\n");
        var before = TreeHashes(project.Directory);

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentCommand", "sh;-c;sed -i s/World/Half/ Program.cs && rm Old.cs && echo new > New.cs && chmod +x New.cs && echo 'giving up' && exit 3")));

        Assert.False(run.Succeeded, run.Log);
        Assert.Equal("AGS4002", Assert.Single(run.Errors).Code);
        Assert.Equal(before, TreeHashes(project.Directory));
        var patch = Path.Combine(project.SandboxDirectory, "AgentRun", "changes.patch");
        Assert.Contains(run.MessageLines, line => line.Contains($"nothing was applied to your tree; the agent's changes are in {patch}", StringComparison.Ordinal));

        // The patch is the agent's work, whole: git apply puts it into the tree.
        Assert.Equal(0, Shell.RunIn(project.Directory, "git", "apply", patch).ExitCode);
        Assert.Contains("Hello, Half!", File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.False(File.Exists(Path.Combine(project.Directory, "Old.cs")));
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(project.Directory, "New.cs")));
        Assert.True(OperatingSystem.IsWindows() || (File.GetUnixFileMode(Path.Combine(project.Directory, "New.cs")) & UnixFileMode.UserExecute) != 0);
    }

    [DockerTheory]
    [InlineData("mount")]
    [InlineData("copy")]
    public void AgentRestore_takes_the_tree_back_to_the_checkpoint_taken_before_the_changes(string mode)
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        File.WriteAllText(Path.Combine(project.Directory, "Old.cs"), "class Old {}\n");
        var before = TreeHashes(project.Directory);

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentWorkspaceMode", mode), ("AgentKind", "custom"), ("AgentNetwork", "none"),
            ("AgentPrompt", "Do it"), ("AgentCommand", "sh;-c;sed -i s/World/Agent/ Program.cs && rm Old.cs && echo new > New.cs")));
        Assert.True(run.Succeeded, run.Log);
        Assert.NotEqual(before, TreeHashes(project.Directory));
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
        var checkpoint = result.RootElement.GetProperty("checkpoint").GetString()!;
        Assert.Contains(run.MessageLines, line => line.Contains($"dotnet build -t:AgentRestore -p:AgentCheckpoint={checkpoint} goes back to it", StringComparison.Ordinal));

        var restore = project.Build("AgentRestore", new Dictionary<string, string> { ["AgentCheckpoint"] = checkpoint });

        Assert.True(restore.Succeeded, restore.Log);
        Assert.Equal(before, TreeHashes(project.Directory));
        var unknown = project.Build("AgentRestore", new Dictionary<string, string> { ["AgentCheckpoint"] = "../../etc/passwd" });
        Assert.Equal("AGS1012", Assert.Single(unknown.Errors).Code);
    }

    [DockerTheory]
    [InlineData("head -c 300000 /dev/urandom")]
    [InlineData("exec head -c 300000 /dev/zero")]
    [InlineData("exit 0")]
    public void A_root_agent_that_replaces_the_containers_tar_gets_nothing_applied(string forgedTar)
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        var before = TreeHashes(project.Directory);

        // As root (the build's user in many CI containers) the agent may rewrite the image's tar in its container,
        // which then packs its tree to be taken back: whatever that sends, the host applies nothing of it.
        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentUser", "0:0"), ("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentCommand", $"sh;-c;printf '#!/bin/sh\\n{forgedTar}\\n' > /usr/bin/tar && sed -i s/World/Hostile/ Program.cs && echo replaced")));

        Assert.False(run.Succeeded, run.Log);
        Assert.Contains(run.MessageLines, line => line.EndsWith("replaced", StringComparison.Ordinal));
        Assert.Equal(before, TreeHashes(project.Directory));
        // Noise is an entry that cannot be read back, refused like a name the host cannot take; nothing is no tree at all.
        Assert.Contains(Assert.Single(run.Errors).Code, new[] { "AGS4014", "AGS4025" });
    }

    [DockerFact]
    public void A_new_file_the_agent_makes_unreadable_under_a_name_with_a_terminal_escape_fails_the_run_with_a_clean_message()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        var before = TreeHashes(project.Directory);

        // Listed but not sent (tar cannot read it): the answer is no tree, and the name it gives reaches the log clean.
        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentKind", "custom"), ("AgentNetwork", "none"), ("AgentPrompt", "Do it"),
            ("AgentCommand", "sh;-c;name=$(printf 'x\\033[31mred\\rline.cs') && echo secret > \"$name\" && chmod 000 \"$name\" && sed -i s/World/Hostile/ Program.cs")));

        Assert.False(run.Succeeded, run.Log);
        var error = Assert.Single(run.Errors);
        Assert.Equal("AGS4025", error.Code);
        Assert.DoesNotContain('\u001b', error.Text);
        Assert.DoesNotContain('\r', error.Text);
        Assert.Equal(before, TreeHashes(project.Directory));
    }

    /// <summary>Every file and link under the project, by path: content hashes and link targets (AgentSandbox's obj/agent left out).</summary>
    private static Dictionary<string, string> TreeHashes(string root) =>
        new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(entry => !Path.GetRelativePath(root, entry.FullName).StartsWith(Path.Combine("obj", "agent"), StringComparison.Ordinal))
            .Where(entry => entry is FileInfo || entry.LinkTarget is not null)
            .ToDictionary(
                entry => Path.GetRelativePath(root, entry.FullName),
                entry => entry.LinkTarget is { } target ? "link:" + target : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry.FullName))));
}
