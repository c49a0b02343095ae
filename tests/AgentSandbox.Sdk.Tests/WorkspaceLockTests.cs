using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Workspace;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Agent runs in one workspace take turns: the second waits, says for whom, and goes on when the first is done.</summary>
public sealed class WorkspaceLockTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_second_run_in_the_same_workspace_waits_for_the_first_and_names_it()
    {
        var waitingFor = new List<string>();
        var first = await WorkspaceLock.AcquireAsync(_temp.Path, "AgentRun for A", _ => { }, CancellationToken.None);

        var second = WorkspaceLock.AcquireAsync(_temp.Path, "AgentRun for B", waitingFor.Add, CancellationToken.None);
        await Task.Delay(600);
        Assert.False(second.IsCompleted);
        Assert.Equal([$"AgentRun for A (process {Environment.ProcessId})"], waitingFor);

        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    [Fact]
    public async Task Runs_in_different_workspaces_do_not_wait_for_each_other()
    {
        using var first = await WorkspaceLock.AcquireAsync(_temp.CreateDirectory("a"), "AgentRun for A", _ => { }, CancellationToken.None);
        var waited = false;

        using var second = await WorkspaceLock.AcquireAsync(_temp.CreateDirectory("b"), "AgentRun for B", _ => waited = true, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(waited);
    }

    [Fact]
    public async Task Waiting_ends_when_the_build_is_cancelled()
    {
        using var first = await WorkspaceLock.AcquireAsync(_temp.Path, "AgentRun for A", _ => { }, CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WorkspaceLock.AcquireAsync(_temp.Path, "AgentRun for B", _ => { }, cancel.Token));
    }
}
