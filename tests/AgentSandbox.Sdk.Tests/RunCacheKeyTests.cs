using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>A run's cache key: the same for the same inputs, different when anything the outcome depends on differs.</summary>
public sealed class RunCacheKeyTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly TreeEntry[] Tree = [new("Program.cs", false, "AA", false), new("build.sh", false, "BB", true)];

    /// <summary>The tree with one entry added or put in place of the one at its path.</summary>
    private static TreeEntry[] With(TreeEntry entry) => [.. Tree.Where(other => other.Path != entry.Path), entry];

    private AgentRunSpec Spec(string target = "AgentReview", string? scope = null, string? version = null, string? command = null) =>
        Specs.RunSpec(Specs.Run(_temp.Path, prompt: null, target) with
        {
            ReviewScope = scope, TestScope = scope, AgentVersion = version, AgentKind = command is null ? null : "custom", AgentCommand = command,
        });

    [Fact]
    public void The_same_inputs_give_the_same_key_whatever_order_the_tree_was_read_in()
    {
        var reversed = Tree.Reverse().ToArray();

        Assert.Equal(RunCacheKey.Of(Spec(), "agentsandbox:1", Tree), RunCacheKey.Of(Spec(), "agentsandbox:1", reversed));
        Assert.Matches("^[0-9a-f]{64}$", RunCacheKey.Of(Spec(), "agentsandbox:1", Tree));
    }

    [Fact]
    public void Content_the_executable_bit_the_prompt_the_preset_the_agent_s_version_and_the_image_each_change_it()
    {
        _temp.Write("Program.cs", "x");
        var key = RunCacheKey.Of(Spec(), "agentsandbox:1", Tree);

        Assert.NotEqual(key, RunCacheKey.Of(Spec(), "agentsandbox:1", With(new("Program.cs", false, "AC", false))));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(), "agentsandbox:1", With(new("build.sh", false, "BB", false))));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(), "agentsandbox:1", With(new("new.cs", false, "CC", false))));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(scope: "Program.cs"), "agentsandbox:1", Tree));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(target: "AgentRefactor"), "agentsandbox:1", Tree));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(version: "2.1.300"), "agentsandbox:1", Tree));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(), "agentsandbox:2", Tree));
        // A custom agent is its command.
        Assert.NotEqual(RunCacheKey.Of(Spec(command: "sh;-c;echo a"), "agentsandbox:1", Tree), RunCacheKey.Of(Spec(command: "sh;-c;echo b"), "agentsandbox:1", Tree));
    }

    [Fact]
    public void A_scoped_review_depends_on_its_scope_alone_and_a_scoped_preset_that_builds_on_the_whole_workspace()
    {
        _temp.Write("src/Api/Orders.cs", "class Orders {}\n");
        TreeEntry[] tree = [.. Tree, new("src/Api/Orders.cs", false, "DD", false), new("src/Web/Page.cs", false, "EE", false)];
        TreeEntry[] Changed(string path) => [.. tree.Where(entry => entry.Path != path), new(path, false, "FF", false)];
        var review = Spec(scope: "src/Api");
        var test = Spec(target: "AgentTest", scope: "src/Api");

        var key = RunCacheKey.Of(review, "agentsandbox:1", tree);

        // Outside the review's scope: the same findings would come back.
        Assert.Equal(key, RunCacheKey.Of(review, "agentsandbox:1", Changed("src/Web/Page.cs")));
        Assert.Equal(key, RunCacheKey.Of(review, "agentsandbox:1", Changed("Program.cs")));
        Assert.NotEqual(key, RunCacheKey.Of(review, "agentsandbox:1", Changed("src/Api/Orders.cs")));
        var glob = Spec(scope: "src/**/Orders.cs");
        Assert.Equal(RunCacheKey.Of(glob, "agentsandbox:1", tree), RunCacheKey.Of(glob, "agentsandbox:1", Changed("src/Web/Page.cs")));
        Assert.NotEqual(RunCacheKey.Of(glob, "agentsandbox:1", tree), RunCacheKey.Of(glob, "agentsandbox:1", Changed("src/Api/Orders.cs")));
        // AgentTest builds and runs the tests: a change anywhere can change what they do.
        Assert.NotEqual(RunCacheKey.Of(test, "agentsandbox:1", tree), RunCacheKey.Of(test, "agentsandbox:1", Changed("src/Web/Page.cs")));
    }

    [Fact]
    public void The_workspace_mode_is_part_of_the_key()
    {
        var copy = Spec();
        var mount = copy with { Policy = copy.Policy with { Mode = WorkspaceMode.Mount } };

        Assert.NotEqual(RunCacheKey.Of(copy, "agentsandbox:1", Tree), RunCacheKey.Of(mount, "agentsandbox:1", Tree));
    }
}
