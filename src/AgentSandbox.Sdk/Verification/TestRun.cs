using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using AgentSandbox.Project;

namespace AgentSandbox.Verification;

/// <summary>A test that failed, with the place in the test code it failed at when its stack trace gives one.</summary>
/// <param name="File">Relative to the build's directory, as the stack trace names it; null when no frame is in the project's code.</param>
internal sealed record FailedTest(string Name, string Message, string? File, int Line);

/// <summary>
/// What `dotnet test` ran inside the sandbox, read from the test platform's own reports (TRX: VSTest's trx logger,
/// Microsoft.Testing.Platform's --report-trx), never from its console output, which the code under test shares.
/// </summary>
/// <param name="Projects">The test projects run, relative to the workspace.</param>
/// <param name="Uncounted">Those of them whose tests no report counts (Microsoft.Testing.Platform without a TRX report).</param>
internal sealed partial record TestRun(IReadOnlyList<string> Projects, IReadOnlyList<string> Uncounted, int Total, int Passed, int Failed, int Skipped, IReadOnlyList<FailedTest> Failures)
{
    /// <summary>How many failed tests are kept with their messages; the counts hold them all.</summary>
    private const int FailuresKept = 50;

    /// <summary>How much of a failure's message is kept.</summary>
    private const int MessageLength = 2000;

    // "   at CalcTests.Adds() in /tmp/agentsandbox-build/Calc.Tests/CalcTests.cs:line 8"
    [GeneratedRegex(@" in (?<file>/.+?):line (?<line>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex Frame();

    /// <summary>"12 tests: 11 passed, 1 skipped", "2 of 12 tests failed", "… ; tests of T.csproj not counted".</summary>
    public string Describe()
    {
        var counted = Failed > 0
            ? $"{Failed} of {Common.Text.Count(Total, "test")} failed"
            : Total > 0 ? $"{Common.Text.Count(Total, "test")}: {Passed} passed" + (Skipped > 0 ? $", {Skipped} skipped" : "")
            : null;
        var uncounted = Uncounted.Count > 0 ? $"tests of {string.Join(", ", Uncounted)} not counted" : null;
        return string.Join("; ", new[] { counted, uncounted }.OfType<string>());
    }

    /// <summary>The results of every report together; a report that cannot be read counts nothing.</summary>
    /// <param name="buildDirectory">Where the tests were built: stack trace frames under it are the project's code.</param>
    public static TestRun FromReports(IReadOnlyList<TestedProject> projects, IEnumerable<string> reports, string buildDirectory)
    {
        int passed = 0, failed = 0, skipped = 0;
        var failures = new List<FailedTest>();
        foreach (var report in reports)
        {
            XDocument document;
            try
            {
                document = XDocument.Parse(report);
            }
            catch (XmlException)
            {
                continue;
            }
            foreach (var result in document.Descendants().Where(e => e.Name.LocalName == "UnitTestResult"))
            {
                switch ((string?)result.Attribute("outcome"))
                {
                    case "Passed":
                        passed++;
                        break;
                    case "NotExecuted" or "Inconclusive" or "Pending":
                        skipped++;
                        break;
                    default:
                        failed++;
                        if (failures.Count < FailuresKept)
                        {
                            failures.Add(Failure(result, buildDirectory));
                        }
                        break;
                }
            }
        }
        return new TestRun(projects.Select(project => project.Path).ToList(),
            projects.Where(project => project.Platform == TestPlatform.TestingPlatformUnreported).Select(project => project.Path).ToList(),
            passed + failed + skipped, passed, failed, skipped, failures);
    }

    private static FailedTest Failure(XElement result, string buildDirectory)
    {
        string Text(string name) => result.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim() ?? "";
        var message = Text("Message");
        var prefix = buildDirectory.TrimEnd('/') + "/";
        var frame = Frame().Matches(Text("StackTrace")).FirstOrDefault(m => m.Groups["file"].Value.StartsWith(prefix, StringComparison.Ordinal));
        return new FailedTest(
            (string?)result.Attribute("testName") ?? "(unnamed test)",
            message.Length > MessageLength ? message[..MessageLength] + "…" : message,
            frame?.Groups["file"].Value[prefix.Length..],
            frame is null ? 0 : int.Parse(frame.Groups["line"].Value, NumberStyles.None, CultureInfo.InvariantCulture));
    }
}
