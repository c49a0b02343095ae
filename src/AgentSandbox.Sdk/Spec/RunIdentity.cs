using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace AgentSandbox.Spec;

/// <summary>
/// Who made a resource: this package's version, the build (session) and the run, and the process that owns it on which
/// machine. Every container, network and image of ours carries these as labels, so that whatever a run leaves behind
/// can be found, and only ours; a container whose owning build process is gone is an orphan the next run removes.
/// </summary>
/// <param name="SessionId">One per build (per MSBuild node process of it).</param>
/// <param name="RunId">One per target run: the agent's container, its sandbox builds and the image built for it share it.</param>
internal sealed record RunIdentity(string PackageVersion, string SessionId, string RunId)
{
    public const string LabelPrefix = "org.agentsandbox.";

    /// <summary>The label every resource of ours has.</summary>
    public const string VersionLabel = LabelPrefix + "version";
    public const string HostLabel = LabelPrefix + "host";
    public const string ProcessLabel = LabelPrefix + "pid";
    public const string ProcessStartLabel = LabelPrefix + "pid-started";

    /// <summary>What a volume kept between runs holds: nuget (the package cache) or session (an agent's conversations).</summary>
    public const string CacheLabel = LabelPrefix + "cache";

    /// <summary>The user's workspace a kept volume belongs to.</summary>
    public const string WorkspaceLabel = LabelPrefix + "workspace";

    /// <summary>The informational version without its source revision: 0.1.0-dev.</summary>
    public static string CurrentPackageVersion { get; } =
        (typeof(RunIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];

    /// <summary>This process, as its labels name it: its id and its start time (ids are reused, start times are not).</summary>
    public static (string Host, int ProcessId, string Started) Owner { get; } = CurrentOwner();

    public static string NewId() => Guid.NewGuid().ToString("N")[..16];

    public static RunIdentity New(string sessionId) => new(CurrentPackageVersion, sessionId, NewId());

    public IReadOnlyDictionary<string, string> Labels => new Dictionary<string, string>
    {
        [VersionLabel] = PackageVersion,
        [LabelPrefix + "session"] = SessionId,
        [LabelPrefix + "run"] = RunId,
        [HostLabel] = Owner.Host,
        [ProcessLabel] = Owner.ProcessId.ToString(CultureInfo.InvariantCulture),
        [ProcessStartLabel] = Owner.Started,
    };

    /// <summary>
    /// The start time of a process, as the labels write it; null when there is no such process. On Linux the kernel's
    /// own count (clock ticks since boot, from /proc): the same whichever process reads it, where a time of day worked
    /// out from the boot time differs by milliseconds from one reader to the next, and would take a live build's
    /// containers for orphans.
    /// </summary>
    public static string? StartOf(int processId)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{processId}/stat");
                // The command name in parentheses may hold spaces: fields count from the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return "ticks:" + fields[19];
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                return null;
            }
        }
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.StartTime.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Whether a start time read now is the one a label recorded: exactly, or within a second where it is a time of day.</summary>
    public static bool SameStart(string recorded, string? now) =>
        now is not null && (recorded == now
            || (DateTime.TryParse(recorded, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var then)
                && DateTime.TryParse(now, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var current)
                && (then - current).Duration() <= TimeSpan.FromSeconds(1)));

    private static (string, int, string) CurrentOwner()
    {
        var id = Environment.ProcessId;
        return (Place(Environment.MachineName, PidNamespace()), id, StartOf(id) ?? "unknown");
    }

    /// <summary>
    /// Where process ids mean something: the machine's name and, on Linux, its process id namespace. A build in a
    /// container or a pod that has the machine's name (host network) numbers its processes apart, and its pid 1 is
    /// not the machine's: without the namespace a build beside it would take its live containers for orphans.
    /// </summary>
    internal static string Place(string machine, string? pidNamespace) => pidNamespace is null ? machine : $"{machine}.pid-{pidNamespace}";

    /// <summary>The inode of /proc/self/ns/pid ("pid:[4026531836]"); null where there is none.</summary>
    private static string? PidNamespace()
    {
        try
        {
            var link = OperatingSystem.IsLinux() ? new FileInfo("/proc/self/ns/pid").LinkTarget : null;
            return link is { Length: > 6 } && link.StartsWith("pid:[", StringComparison.Ordinal) && link.EndsWith(']') ? link[5..^1] : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
