using AgentSandbox.Errors;
using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The run as a sequence of steps: order, failure, and the steps that run anyway. No engine is contacted.</summary>
public sealed class AgentRunnerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeEngine _engine = new FakeEngine();
    private readonly List<string> _ran = [];

    public void Dispose() => _temp.Dispose();

    private sealed class Step(string name, List<string> ran, Action<AgentRunContext>? action = null, bool alwaysRuns = false) : IAgentRunStep
    {
        public bool AlwaysRuns => alwaysRuns;

        public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
        {
            ran.Add(name);
            action?.Invoke(context);
            return Task.CompletedTask;
        }
    }

    private Task<AgentRunResult> Run(params IAgentRunStep[] steps)
    {
        return new AgentRunner(steps).RunAsync(Specs.Minimal(_temp.Path), "agentsandbox:0123456789abcdef", _engine, new RecordingLog(), CancellationToken.None);
    }

    [Fact]
    public async Task Steps_run_in_order_and_a_clean_exit_is_success()
    {
        var result = await Run(new Step("first", _ran), new Step("second", _ran, c => c.ExitCode = 0));

        Assert.Equal(["first", "second"], _ran);
        Assert.True(result.Success);
        Assert.Null(result.Failure);
    }

    [Fact]
    public async Task After_a_failing_step_only_the_steps_that_always_run_still_run_and_the_failure_is_kept()
    {
        var failure = Diagnostics.NetworkNotFound("missing");

        var result = await Run(
            new Step("fails", _ran, _ => throw failure),
            new Step("skipped", _ran),
            new Step("always", _ran, c => c.ChangedFiles = [new ChangedFile("Program.cs", FileChange.Modified)], alwaysRuns: true));

        Assert.Equal(["fails", "always"], _ran);
        Assert.False(result.Success);
        Assert.Null(result.ExitCode);
        Assert.Same(failure, result.Failure);
        Assert.Contains(result.Errors, e => e.StartsWith("AGS4001: ", StringComparison.Ordinal));
        Assert.Equal([new ChangedFile("Program.cs", FileChange.Modified)], result.ChangedFiles);
    }

    [Fact]
    public async Task A_rejected_credential_is_a_failure_even_when_the_agent_then_exits_cleanly()
    {
        var result = await Run(new Step("run", _ran, c => { c.CredentialRejected = 401; c.ExitCode = 0; }));

        Assert.False(result.Success);
        Assert.Equal(401, result.CredentialRejectedStatus);
    }

    [Fact]
    public async Task Unexpected_exceptions_are_not_swallowed()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Run(new Step("bug", _ran, _ => throw new InvalidOperationException("bug"))));
    }
}
