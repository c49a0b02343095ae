using AgentSandbox.Common;
using System.Text;
using AgentSandbox.Docker;
using AgentSandbox.Run;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>However much the agent prints, the build keeps a bounded amount of it.</summary>
public sealed class BoundedOutputTests
{
    [Fact]
    public void An_over_long_line_is_cut_with_a_note_and_the_next_line_is_whole()
    {
        var lines = new List<string>();
        var splitter = new LineSplitter(lines.Add);
        var chunk = Encoding.UTF8.GetBytes(new string('x', 64 * 1024));
        for (var i = 0; i < 40; i++)
        {
            splitter.Append(chunk);
        }
        splitter.Append("\nnext line\n"u8);
        splitter.Flush();

        Assert.Equal(2, lines.Count);
        Assert.Equal(LineSplitter.MaxLineLength, lines[0].IndexOf(' ', StringComparison.Ordinal));
        Assert.EndsWith($"[AgentSandbox cut this line here: {(40 * 64 * 1024) - LineSplitter.MaxLineLength} more characters]", lines[0]);
        Assert.Equal("next line", lines[1]);
    }

    [Fact]
    public void What_the_agent_said_is_kept_up_to_a_bound_latest_first_and_each_remembered_line_is_short()
    {
        var context = new AgentRunContext(Specs.Minimal(Specs.SomeProjectDirectory), "image", new FakeEngine(), new RecordingLog());
        var message = new string('m', 256 * 1024);

        for (var i = 0; i < 10; i++)
        {
            context.Said(message + i);
            context.RememberOutput(message);
        }

        Assert.True(context.Messages.Sum(m => (long)m.Length) <= AgentRunContext.MessagesKept);
        Assert.Equal(message + 9, context.Messages[^1]);
        Assert.All(context.OutputTail, line => Assert.True(line.Length <= AgentRunContext.OutputTailLineLength + 2));
    }
}
