using System.Text.Json;
using AgentSandbox.Common;
using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Pipeline;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>A run stopped from outside (cancelled, timed out): a coded error that says why, recorded, and nothing applied.</summary>
public sealed class StoppingTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeEngine _engine = new();
    private readonly RecordingLog _log = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_run_stopped_mid_way_fails_with_the_reason_records_it_and_applies_nothing()
    {
        _temp.Write("Program.cs", "Console.WriteLine(\"Hello, World!\");\n");
        _engine.Images.Add("base:1");
        using var stop = new CancellationTokenSource();
        _engine.ThenRun(new ContainerScript(0, [], Effect: workspace =>
        {
            TempDirectory.WriteIn(workspace, "Program.cs", "changed before the stop\n");
            stop.Cancel();
            stop.Token.ThrowIfCancellationRequested();
        }));
        var spec = Specs.Create(Specs.Run(_temp.Path) with { BaseImage = "base:1" }).Spec;
        var resultPath = _temp.Combine("obj/agent/AgentRun/result.json");

        var outcome = await new AgentTargetPipeline(_engine, _engine, _log).RunAsync(
            spec, SandboxBuildContext.FromSpec(spec.Image), resultPath, stop.Token, () => Diagnostics.TimedOut("30m"));

        var error = Assert.IsType<AgentSandboxException>(outcome.Error);
        Assert.Equal("AGS4021", error.Code);
        Assert.Equal("Console.WriteLine(\"Hello, World!\");\n", File.ReadAllText(_temp.Combine("Program.cs")));
        using var result = JsonDocument.Parse(File.ReadAllText(resultPath));
        Assert.Equal("AGS4021", result.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain(result.RootElement.GetProperty("errors").EnumerateArray(), e => e.GetString() == "The build was cancelled.");
    }

    [Fact]
    public async Task A_run_stopped_before_its_agent_started_records_why()
    {
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        var spec = Specs.Create(Specs.Run(_temp.Path) with { BaseImage = "base:1" }).Spec;
        var resultPath = _temp.Combine("obj/agent/AgentRun/result.json");

        var error = await Assert.ThrowsAsync<AgentSandboxException>(() => new AgentTargetPipeline(_engine, _engine, _log).RunAsync(
            spec, SandboxBuildContext.FromSpec(spec.Image), resultPath, stop.Token, () => Diagnostics.Cancelled("the build received SIGTERM")));

        Assert.Equal("AGS4020", error.Code);
        Assert.Contains("SIGTERM", error.Message);
        using var result = JsonDocument.Parse(File.ReadAllText(resultPath));
        Assert.Equal("AGS4020", result.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("45m", 2700)]
    [InlineData("2h", 7200)]
    [InlineData("1.5h", 5400)]
    [InlineData("01:30:00", 5400)]
    [InlineData(null, 1800)]
    public void AgentTimeout_takes_a_duration(string? value, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Specs.RunSpec(Specs.Run(_temp.Path) with { Timeout = value }).Timeout);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5m")]
    [InlineData("0s")]
    [InlineData("10d")]
    [InlineData("30")]
    [InlineData("200h")]
    public void A_timeout_that_is_no_duration_is_AGS1005(string value)
    {
        var error = Assert.Throws<AgentSandboxException>(() => Specs.RunSpec(Specs.Run(_temp.Path) with { Timeout = value }));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentTimeout", error.Message);
    }

    [Theory]
    [InlineData(90, "90s")]
    [InlineData(1800, "30m")]
    [InlineData(7200, "2h")]
    [InlineData(5400, "1h30m")]
    public void Durations_are_shown_as_they_are_written(int seconds, string shown)
    {
        Assert.Equal(shown, Text.Duration(TimeSpan.FromSeconds(seconds)));
    }
}
