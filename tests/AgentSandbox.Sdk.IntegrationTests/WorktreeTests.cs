using System.Text.Json;
using AgentSandbox.Sdk.IntegrationTests.Infrastructure;

namespace AgentSandbox.Sdk.IntegrationTests;

/// <summary>AgentWorkspaceMode worktree: the agent's changes land on a branch of their own; the user's tree never moves.</summary>
[Collection(MSBuildCollection.Name)]
public sealed class WorktreeTests
{
    private static string Git(string directory, params string[] arguments)
    {
        var (exitCode, output) = Shell.RunIn(directory, "git", ["-c", "user.name=t", "-c", "user.email=t@t", .. arguments]);
        Assert.True(exitCode == 0, $"git {string.Join(' ', arguments)}: {output}");
        return output;
    }

    /// <summary>The test project's folder made a repository with one commit of everything but build output.</summary>
    private static string Repository(TestProject project)
    {
        var repository = Path.GetDirectoryName(project.Directory)!;
        File.WriteAllText(Path.Combine(repository, ".gitignore"), "bin/\nobj/\n");
        Git(repository, "init", "-q");
        Git(repository, "add", "-A");
        Git(repository, "commit", "-q", "-m", "first");
        return repository;
    }

    [DockerFact]
    public void Each_run_commits_its_checked_changes_to_a_branch_and_leaves_the_working_tree_and_index_alone()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        var repository = Repository(project);
        // The user's own work in progress: neither the agent's start nor anything it may touch.
        File.AppendAllText(Path.Combine(project.Directory, "Program.cs"), "// mine, not committed\n");
        var status = Git(repository, "status", "--porcelain");
        var head = Git(repository, "rev-parse", "HEAD");
        var program = File.ReadAllText(Path.Combine(project.Directory, "Program.cs"));

        var branches = new List<string>();
        foreach (var greeting in new[] { "One", "Two" })
        {
            var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentWorkspaceMode", "worktree"), ("AgentKind", "custom"), ("AgentNetwork", "none"),
                ("AgentPrompt", $"Greet {greeting}"), ("AgentCommand", $"sh;-c;sed -i s/World/{greeting}/ Program.cs && echo {greeting} > {greeting}.txt")));

            Assert.True(run.Succeeded, run.Log);
            using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(project.SandboxDirectory, "AgentRun", "result.json")));
            var branch = result.RootElement.GetProperty("branch").GetString()!;
            Assert.StartsWith("agent/", branch);
            Assert.Contains(run.MessageLines, line => line.Contains($"the agent's changes are on branch {branch} (2 files changed", StringComparison.Ordinal));
            Assert.Contains($"Hello, {greeting}!", Git(repository, "show", $"{branch}:Sample/Program.cs"));
            Assert.DoesNotContain("mine, not committed", Git(repository, "show", $"{branch}:Sample/Program.cs"));
            Assert.Equal($"{greeting}\n", Git(repository, "show", $"{branch}:Sample/{greeting}.txt"));
            branches.Add(branch);
        }

        Assert.NotEqual(branches[0], branches[1]);
        Assert.Equal(status, Git(repository, "status", "--porcelain"));
        Assert.Equal(head, Git(repository, "rev-parse", "HEAD"));
        Assert.Equal(program, File.ReadAllText(Path.Combine(project.Directory, "Program.cs")));
        Assert.Single(Git(repository, "worktree", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [DockerFact]
    public void A_run_on_the_same_commit_as_its_last_successful_one_is_skipped_and_a_new_commit_runs_it_again()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();
        var repository = Repository(project);
        Dictionary<string, string> Greet() => SandboxProperties.ForTests(("AgentWorkspaceMode", "worktree"), ("AgentKind", "custom"), ("AgentNetwork", "none"),
            ("AgentPrompt", "Greet"), ("AgentCommand", "sh;-c;sed -i s/World/Agent/ Program.cs"));
        string Branches() => Git(repository, "branch", "--list", "agent/*");

        var first = project.Build("AgentRun", Greet());
        var afterFirst = Branches();
        var again = project.Build("AgentRun", Greet());
        var afterAgain = Branches();
        File.WriteAllText(Path.Combine(project.Directory, "README.md"), "A new commit.\n");
        Git(repository, "add", "-A");
        Git(repository, "commit", "-q", "-m", "second");
        var changed = project.Build("AgentRun", Greet());

        Assert.True(first.Succeeded, first.Log);
        Assert.True(again.Succeeded, again.Log);
        Assert.Contains(again.Messages, m => m.Text.StartsWith("AgentRun for Sample: skipped: nothing it reads changed", StringComparison.Ordinal));
        Assert.Equal(afterFirst, afterAgain);
        Assert.True(changed.Succeeded, changed.Log);
        Assert.DoesNotContain(changed.Messages, m => m.Text.Contains("skipped", StringComparison.Ordinal));
        Assert.Equal(2, Branches().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [DockerFact]
    public void Worktree_mode_outside_a_repository_is_AGS1013()
    {
        using var environment = new EnvironmentScope(new Dictionary<string, string?>());
        using var project = new TestProject();

        var run = project.Build("AgentRun", SandboxProperties.ForTests(("AgentWorkspaceMode", "worktree"), ("AgentKind", "custom"), ("AgentPrompt", "Do it"), ("AgentCommand", "true")));

        Assert.Equal("AGS1013", Assert.Single(run.Errors).Code);
    }
}
