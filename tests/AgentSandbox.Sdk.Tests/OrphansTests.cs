using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Spec;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The sweep: what builds that are gone left on this machine goes; nothing else does.</summary>
public sealed class OrphansTests
{
    private static EngineResource Resource(ResourceKind kind, string name, string? host, int? pid, string? started) => new(kind, name, name,
        new Dictionary<string, string>
        {
            [RunIdentity.VersionLabel] = "0.1.0",
            [RunIdentity.LabelPrefix + "run"] = "run-" + name,
        }
        .Concat(host is null ? [] : new Dictionary<string, string> { [RunIdentity.HostLabel] = host })
        .Concat(pid is null ? [] : new Dictionary<string, string> { [RunIdentity.ProcessLabel] = pid.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        .Concat(started is null ? [] : new Dictionary<string, string> { [RunIdentity.ProcessStartLabel] = started })
        .ToDictionary());

    private static string? StartOf(int pid) => pid == 100 ? "2026-12-02T01:00:00.000Z" : null;

    [Theory]
    [InlineData("here", 100, "2026-12-02T01:00:00.000Z", false)] // its build still runs
    [InlineData("here", 100, "2026-12-01T09:00:00.000Z", true)]  // the id was taken by a later process
    [InlineData("here", 200, "2026-12-02T01:00:00.000Z", true)]  // no such process any more
    [InlineData("elsewhere", 200, "2026-12-02T01:00:00.000Z", false)] // another machine's: its build may run
    [InlineData("here", null, null, false)] // an older version's, without an owner: not ours to judge
    public void A_resource_is_an_orphan_when_made_here_by_a_process_that_is_gone(string host, int? pid, string? started, bool orphan)
    {
        Assert.Equal(orphan, Orphans.IsOrphan(Resource(ResourceKind.Container, "c", host, pid, started), "here", StartOf));
    }

    [Fact]
    public void A_build_places_itself_by_machine_and_process_id_namespace_so_a_container_with_the_machines_name_is_elsewhere()
    {
        Assert.Equal("vm.pid-4026531836", RunIdentity.Place("vm", "4026531836"));
        Assert.Equal("laptop", RunIdentity.Place("laptop", null));
        Assert.False(Orphans.IsOrphan(Resource(ResourceKind.Container, "c", RunIdentity.Place("vm", "4026532999"), 1, "ticks:5"), RunIdentity.Place("vm", "4026531836"), _ => "ticks:1"));
        if (OperatingSystem.IsLinux())
        {
            Assert.StartsWith(Environment.MachineName + ".pid-", RunIdentity.Owner.Host);
        }
    }

    [Fact]
    public void Images_are_never_orphans()
    {
        Assert.False(Orphans.IsOrphan(Resource(ResourceKind.Image, "i", "here", 200, "x"), "here", StartOf));
    }

    [Fact]
    public async Task The_sweep_removes_the_containers_then_the_networks_and_volumes_of_gone_builds_and_leaves_the_rest()
    {
        var engine = new FakeEngine();
        var (host, pid, started) = RunIdentity.Owner;
        engine.Resources.AddRange(
        [
            Resource(ResourceKind.Volume, "dead-egress", host, 999_999, "2020-01-01T00:00:00.000Z"),
            Resource(ResourceKind.Network, "dead-net", host, 999_999, "2020-01-01T00:00:00.000Z"),
            // A cache: no process made it.
            Resource(ResourceKind.Volume, "agentsandbox-nuget-1", null, null, null),
            Resource(ResourceKind.Container, "dead", host, 999_999, "2020-01-01T00:00:00.000Z"),
            Resource(ResourceKind.Container, "mine", host, pid, started),
            Resource(ResourceKind.Container, "other-machine", host + "-other", 999_999, "2020-01-01T00:00:00.000Z"),
        ]);
        var log = new RecordingLog();

        var removed = await Orphans.SweepAsync(engine, log, CancellationToken.None);

        Assert.Equal(3, removed);
        Assert.Equal(["remove container dead", "remove network dead-net", "remove volume dead-egress"], engine.Calls);
        Assert.Equal(["agentsandbox-nuget-1", "mine", "other-machine"], engine.Resources.Select(r => r.Name).Order());
        Assert.Contains(log.Important, message => message.Contains("Removed 1 container, 1 volume and 1 network that builds no longer running left behind (runs run-dead, run-dead-egress, run-dead-net)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sweep_beside_a_run_that_fails_is_noted_and_does_not_fail_the_run()
    {
        var log = new RecordingLog();
        var failed = Task.FromException(Errors.Diagnostics.EngineRequestFailed("unix:///var/run/docker.sock", "remove a network", "network has active endpoints"));

        await Orphans.SettleAsync(failed, log);

        Assert.Contains(log.Info, message => message.StartsWith("What builds no longer running left behind was not all removed (", StringComparison.Ordinal)
            && message.EndsWith("the next run tries again.", StringComparison.Ordinal));
    }

    [Fact]
    public void A_process_start_reads_the_same_from_any_reader_so_a_live_build_is_never_taken_for_gone()
    {
        var (_, pid, started) = RunIdentity.Owner;

        Assert.All(Enumerable.Range(0, 20), _ => Assert.True(RunIdentity.SameStart(started, RunIdentity.StartOf(pid))));
        Assert.Null(RunIdentity.StartOf(int.MaxValue));
    }

    [Theory]
    [InlineData("2026-12-02T01:00:00Z", "2026-12-02T01:00:00Z", true)]
    [InlineData("2026-12-02T01:00:00Z", "2026-12-02T01:00:01Z", true)]
    [InlineData("2026-12-02T01:00:00Z", "2026-12-02T01:00:05Z", false)]
    [InlineData("ticks:100", "ticks:100", true)]
    [InlineData("ticks:100", "ticks:101", false)]
    [InlineData("ticks:100", null, false)]
    public void Start_times_match_exactly_or_within_a_second_of_the_day(string recorded, string? now, bool same)
    {
        Assert.Equal(same, RunIdentity.SameStart(recorded, now));
    }
}
