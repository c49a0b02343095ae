using AgentSandbox.Common;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Text a log shows: nothing in it can drive a terminal or hide what came before it on a line.</summary>
public sealed class TextTests
{
    [Theory]
    [InlineData("plain text, 中文, 🚀", "plain text, 中文, 🚀")]
    [InlineData("line one\nline two\tafter a tab", "line one\nline two\tafter a tab")]
    [InlineData("windows line\r\nbreak", "windows line\nbreak")]
    [InlineData("x\r::error file=Program.cs,line=1::owned", "x\\u000d::error file=Program.cs,line=1::owned")]
    [InlineData("clear\u001b[2J screen", "clear\\u001b[2J screen")]
    [InlineData("title\u001b]0;owned\u0007", "title\\u001b]0;owned\\u0007")]
    [InlineData("C1 \u009b31m and DEL \u007f and NUL \0", "C1 \\u009b31m and DEL \\u007f and NUL \\u0000")]
    public void Printable_keeps_line_breaks_and_tabs_and_shows_every_other_control_character(string text, string expected)
    {
        Assert.Equal(expected, Text.Printable(text));
    }

    [Fact]
    public void Printable_returns_clean_text_as_it_is()
    {
        const string clean = "AgentRun: Claude Code 2.1.328 succeeded: 3 turns, 0.7 s; 1 file changed.";

        Assert.Same(clean, Text.Printable(clean));
    }
}
