using System.Diagnostics;
using AgentSandbox.Common;
using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Project;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Verification;

/// <summary>
/// Builds or tests the project inside the sandbox image, never on the host: the agent wrote that code, so it runs
/// where the agent ran. The build works on a copy inside the container (the project is mounted read-only), so its
/// bin/obj never mix Linux container paths into the user's tree, and the container gets no credentials.
/// </summary>
internal static class SandboxBuild
{
    /// <summary>Where the copy is built; diagnostics under it are reported relative to the project.</summary>
    public const string BuildDirectory = "/tmp/agentsandbox-build";

    /// <summary>NuGet's "Unable to load the service index for source".</summary>
    private const string UnreachableFeed = "NU1301";

    /// <summary>NuGet's "Unable to resolve", "Unable to find package" (no such id, no such version, no stable version).</summary>
    private static readonly IReadOnlySet<string> PackageNotFound = new HashSet<string>(StringComparer.Ordinal) { "NU1100", "NU1101", "NU1102", "NU1103" };

    /// <summary>MSBuild's "The referenced project … does not exist" and "The imported project … was not found".</summary>
    private const string MissingReference = "MSB9008";
    private const string MissingImport = "MSB4019";

    /// <summary>Copies the workspace to <see cref="BuildDirectory"/> and goes there.</summary>
    // Through an archive rather than a pipe: under set -e a failed copy then stops the build instead of building half.
    private const string CopyIn =
        "set -e; mkdir -p " + BuildDirectory + "; cd " + SandboxPaths.Workspace + "; " +
        "tar -c -f /tmp/agentsandbox-workspace.tar --exclude=./.git --exclude=./.vs --exclude=bin --exclude=obj .; " +
        "tar -x -f /tmp/agentsandbox-workspace.tar -C " + BuildDirectory + "; rm /tmp/agentsandbox-workspace.tar; " +
        "cd " + BuildDirectory + "; ";

    // The arguments are dotnet's; nothing of the user's goes through this script as code.
    private const string BuildScript = CopyIn + "exec dotnet build \"$@\"";

    /// <summary>Where each test project's TRX report goes, in a folder of its own (a report's name holds only the second it was written).</summary>
    private const string ReportsDirectory = "/tmp/agentsandbox-test-results";

    // $1 is the line that frames each report; the rest are the test projects, each as platform:path. Every project is
    // tested, failing or not, with the report its platform writes (VSTest's trx logger, Microsoft.Testing.Platform's
    // --report-trx, xunit.v3's own --report-xunit-trx); then the reports are printed (base64 between two framing lines,
    // as the output is the one way back on every engine), and the script exits as the first failing `dotnet test` did.
    private const string TestScript = CopyIn +
        "frame=$1; shift; status=0; n=0; " +
        "for entry do n=$((n+1)); platform=${entry%%:*}; project=${entry#*:}; results=" + ReportsDirectory + "/$n; " +
        "case $platform in " +
        "vstest) set -- --logger 'trx;LogFilePrefix=agentsandbox' --results-directory \"$results\";; " +
        "trx) set -- \"-p:TestingPlatformCommandLineArguments=--report-trx --results-directory $results\";; " +
        "xunit) set -- \"-p:TestingPlatformCommandLineArguments=--report-xunit-trx --results-directory $results\";; " +
        "*) set --;; esac; " +
        "dotnet test \"$project\" -nologo -clp:NoSummary \"$@\" || { s=$?; [ $status -ne 0 ] || status=$s; }; done; " +
        "for report in $(find " + ReportsDirectory + " -name '*.trx' 2>/dev/null); do echo \"$frame\"; base64 \"$report\"; echo \"$frame\"; done; " +
        "exit $status";

    /// <summary>
    /// The most report text taken back from one test run, all reports together: the code under test can print frames
    /// too, and must not fill the build's memory. A report cut short is no XML and counts nothing.
    /// </summary>
    private const int MaxReportChars = 64 * 1024 * 1024;

    /// <summary>How many of the build's last output lines are kept for a message about a failure its diagnostics do not explain.</summary>
    private const int OutputTailLines = 15;

    private static readonly ContainerEnvironment BuildSettings = ContainerEnvironment.Empty.With(new Dictionary<string, string>
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        // Plain console output, parsable line by line, on every SDK version (-tl:off only exists from .NET 8 on).
        ["MSBUILDTERMINALLOGGER"] = "off",
    }, secret: false);

    public static string Verb(VerifyMode mode) => mode == VerifyMode.Test ? "test" : "build";

    /// <param name="frame">Test mode: the line that frames each test report in the output.</param>
    public static IReadOnlyList<string> Command(AgentRunSpec spec, VerifyMode mode, string frame = "")
    {
        if (mode == VerifyMode.Test)
        {
            return ["sh", "-c", TestScript, "sh", frame, .. TestedProjects(spec).Select(Entry)];
        }
        var command = new List<string> { "sh", "-c", BuildScript, "sh" };
        if (spec.Preset.ProjectFileName.Length > 0)
        {
            command.Add(spec.Preset.ProjectFileName);
        }
        command.AddRange(["-nologo", "-clp:NoSummary"]);
        return command;
    }

    /// <summary>The test projects that cover the project; else the project (or solution) itself, or the folder's, as VSTest runs them.</summary>
    public static IReadOnlyList<TestedProject> TestedProjects(AgentRunSpec spec) =>
        spec.Preset.TestProjects is { Count: > 0 } tests ? tests
        : [new TestedProject(spec.Preset.ProjectFileName.Length > 0 ? spec.Preset.ProjectFileName : ".", TestPlatform.VSTest)];

    /// <summary>A test project as the test script takes it: platform:path.</summary>
    private static string Entry(TestedProject project) => project.Platform switch
    {
        TestPlatform.VSTest => "vstest:",
        TestPlatform.TestingPlatformTrx => "trx:",
        TestPlatform.TestingPlatformXunit => "xunit:",
        _ => "unreported:",
    } + project.Path;

    /// <param name="copy">Copy mode: the tree to build (the agent's), copied in; null to mount the user's tree read-only.</param>
    public static async Task<VerificationResult> RunAsync(
        AgentRunSpec spec, string imageTag, IContainerEngine engine, VerifyMode mode, ISandboxLog log, CancellationToken cancellationToken, WorkspaceCopy? copy = null)
    {
        var verb = Verb(mode);
        log.Important($"{spec.Label}: dotnet {verb} inside the sandbox.");
        // A frame no output of the code under test can know in advance.
        var frame = $"@@agentsandbox-test-report-{Guid.NewGuid():N}";
        var command = Command(spec, mode, frame);
        log.Detail($"Command: {Text.CommandLine(command)}");
        var environment = BuildSettings.With(spec.BuildEnvironment.Variables);
        var output = new List<string>();
        var reports = new List<string>();
        var report = new System.Text.StringBuilder();
        var inReport = false;
        long reportChars = 0;
        // The script prints the reports on standard output: only there is a frame one, and a line between frames a report's.
        void CollectStdout(string line)
        {
            if (line == frame)
            {
                if (inReport)
                {
                    reports.Add(Decode(report.ToString()));
                    report.Clear();
                }
                inReport = !inReport;
                return;
            }
            if (inReport)
            {
                if (reportChars + line.Length <= MaxReportChars)
                {
                    report.Append(line.Trim());
                    reportChars += line.Length;
                }
                return;
            }
            Collect(line);
        }
        void Collect(string line)
        {
            // The agent's credentials too: code it wrote may print one (a test's failure message).
            line = spec.Redact(line);
            log.Detail(line);
            lock (output)
            {
                output.Add(line);
            }
        }

        var stopwatch = Stopwatch.StartNew();
        long exitCode;
        var egress = new EgressRecord();
        // The code built is the agent's: what it prints is the agent's output too.
        using (log.AgentOutput())
        {
            var exit = await engine.RunContainerAsync(
                SandboxContainer.Create(spec, imageTag, verb, command, environment, readOnlyWorkspace: true, workingDirectory: SandboxPaths.Workspace, copy: copy, egress: egress),
                onStdout: CollectStdout, onStderr: Collect, CancellationToken.None, cancellationToken).ConfigureAwait(false);
            exitCode = exit.Code;
            if (exit.OutOfMemory)
            {
                throw Diagnostics.OutOfMemory($"dotnet {verb} inside the sandbox", spec.Limits.MemoryBytes);
            }
        }
        egress.Report(spec.Label, log);
        var diagnostics = BuildOutputParser.ParseAll(output, BuildDirectory);
        // Neither a restore that fails nor a file outside the workspace is the code's fault: no agent can fix them,
        // and no verdict on the code is possible.
        if (diagnostics.FirstOrDefault(d => d.IsError && (d.Code == UnreachableFeed || PackageNotFound.Contains(d.Code!))) is { } restore)
        {
            // Most often the feed is named in a nuget.config above the workspace, which the host's restore reads and the sandbox's cannot.
            if (NuGetConfigs.Above(spec.WorkspaceRoot) is { Count: > 0 } unseen)
            {
                throw Diagnostics.OutsideWorkspace($"{restore.Code}: {restore.Message.TrimEnd('.')}; NuGet on your machine also reads {string.Join(", ", unseen)}, which the sandbox does not see", spec.WorkspaceRoot);
            }
            throw restore.Code == UnreachableFeed
                ? Diagnostics.SandboxRestoreFailed(restore.Message, spec.Network)
                : Diagnostics.SandboxPackageNotFound($"{restore.Code}: {restore.Message}");
        }
        if ((exitCode != 0 || diagnostics.Any(d => d.IsError)) && diagnostics.FirstOrDefault(d => d.Code is MissingReference or MissingImport) is { } outside)
        {
            throw Diagnostics.OutsideWorkspace(outside.Message, spec.WorkspaceRoot);
        }
        var tests = mode == VerifyMode.Test ? TestRun.FromReports(TestedProjects(spec), reports, BuildDirectory) : null;
        return new VerificationResult(mode, exitCode, diagnostics, stopwatch.ElapsedMilliseconds, output.TakeLast(OutputTailLines).ToList()) { Tests = tests };
    }

    /// <summary>A report as printed: base64, possibly cut short (then what was read is XML that fails to parse, and counts nothing).</summary>
    private static string Decode(string base64)
    {
        var usable = base64.Length - base64.Length % 4;
        try
        {
            // VSTest writes its TRX with a byte order mark, which XML parsing of a string refuses.
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64[..usable])).TrimStart('\uFEFF');
        }
        catch (FormatException)
        {
            return "";
        }
    }
}
