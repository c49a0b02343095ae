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

    [Theory]
    [InlineData("::error file=Program.cs,line=1::owned", "\\u003a:error file=Program.cs,line=1::owned")]
    [InlineData("   ::add-mask::x", "   \\u003a:add-mask::x")]
    [InlineData("\t::set-output name=a::b", "\t\\u003a:set-output name=a::b")]
    [InlineData("ok\n::error::second line\n  ::warning::third", "ok\n\\u003a:error::second line\n  \\u003a:warning::third")]
    [InlineData("x\r::error::hidden", "x\\u000d::error::hidden")]
    [InlineData("text ##vso[task.setvariable variable=a]b", "text ##vso\\u005btask.setvariable variable=a]b")]
    [InlineData("##VSO[task.complete result=Failed]", "##VSO\\u005btask.complete result=Failed]")]
    [InlineData("old style ##[error]owned", "old style ##\\u005berror]owned")]
    [InlineData("##teamcity[setParameter name='a' value='b']", "##teamcity\\u005bsetParameter name='a' value='b']")]
    [InlineData("a::b in the middle and # heading", "a::b in the middle and # heading")]
    public void Loggable_leaves_no_line_a_CI_system_would_act_on(string text, string expected)
    {
        Assert.Equal(expected, Text.Loggable(text));
    }

    [Fact]
    public void Loggable_output_has_no_GitHub_or_Azure_command_on_any_line_whatever_the_input()
    {
        string[] pieces = ["::", "##[", "##vso[", "\n", "\r", " ", "\t", "\u2028", "error::", "x", "\u0085"];
        var random = new Random(8);
        for (var i = 0; i < 2000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, 8).Select(_ => pieces[random.Next(pieces.Length)]));

            foreach (var line in Text.Loggable(text).Split('\n'))
            {
                Assert.False(line.TrimStart().StartsWith("::", StringComparison.Ordinal), text);
                Assert.DoesNotContain("##[", line, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("##vso[", line, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Theory]
    [InlineData("a:b.txt", true)]
    [InlineData("dir/with:colon/file.cs", true)]
    [InlineData("../outside.cs", false)]
    [InlineData("/etc/passwd", false)]
    public void A_workspace_path_maps_to_the_host_when_it_stays_inside(string relative, bool inside)
    {
        Assert.Equal(inside, SandboxPaths.OnHost("/repo", relative) is not null);
    }
}
