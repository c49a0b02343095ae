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

    private static readonly Dictionary<string, TreeEntry> Tree = new()
    {
        ["Program.cs"] = new("Program.cs", false, "AA", false),
        ["build.sh"] = new("build.sh", false, "BB", true),
    };

    private AgentRunSpec Spec(string target = "AgentReview", string? scope = null, string? version = null, string? command = null) =>
        Specs.RunSpec(Specs.Run(_temp.Path, prompt: null, target) with { ReviewScope = scope, AgentVersion = version, AgentKind = command is null ? null : "custom", AgentCommand = command });

    [Fact]
    public void The_same_inputs_give_the_same_key_whatever_order_the_tree_was_read_in()
    {
        var reversed = Tree.Reverse().ToDictionary();

        Assert.Equal(RunCacheKey.Of(Spec(), "agentsandbox:1", Tree), RunCacheKey.Of(Spec(), "agentsandbox:1", reversed));
        Assert.Matches("^[0-9a-f]{64}$", RunCacheKey.Of(Spec(), "agentsandbox:1", Tree));
    }

    [Fact]
    public void Content_the_executable_bit_the_prompt_the_preset_the_agent_s_version_and_the_image_each_change_it()
    {
        _temp.Write("Program.cs", "x");
        var key = RunCacheKey.Of(Spec(), "agentsandbox:1", Tree);

        Assert.NotEqual(key, RunCacheKey.Of(Spec(), "agentsandbox:1", new Dictionary<string, TreeEntry>(Tree) { ["Program.cs"] = new("Program.cs", false, "AC", false) }));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(), "agentsandbox:1", new Dictionary<string, TreeEntry>(Tree) { ["build.sh"] = new("build.sh", false, "BB", false) }));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(), "agentsandbox:1", new Dictionary<string, TreeEntry>(Tree) { ["new.cs"] = new("new.cs", false, "CC", false) }));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(scope: "Program.cs"), "agentsandbox:1", Tree));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(target: "AgentRefactor"), "agentsandbox:1", Tree));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(version: "2.1.300"), "agentsandbox:1", Tree));
        Assert.NotEqual(key, RunCacheKey.Of(Spec(), "agentsandbox:2", Tree));
        // A custom agent is its command.
        Assert.NotEqual(RunCacheKey.Of(Spec(command: "sh;-c;echo a"), "agentsandbox:1", Tree), RunCacheKey.Of(Spec(command: "sh;-c;echo b"), "agentsandbox:1", Tree));
    }
}
