using System.Globalization;
using System.Runtime.InteropServices;
using AgentSandbox.Errors;

namespace AgentSandbox.Project;

/// <summary>The uid/gid the agent runs as, so that what it writes into the mounted project belongs to the build's user.</summary>
internal sealed record HostUser(uint Uid, uint Gid)
{
    public bool IsRoot => Uid == 0;

    /// <summary>Docker Desktop on Windows maps ownership itself; any ordinary uid works there.</summary>
    private static readonly HostUser WindowsDefault = new(1000, 1000);

    public static HostUser Current() =>
        OperatingSystem.IsWindows() ? WindowsDefault : new HostUser(NativeMethods.getuid(), NativeMethods.getgid());

    /// <summary>AgentUser ("uid:gid" or "uid") when set, else <paramref name="buildUser"/>, the user running the build.</summary>
    public static HostUser Resolve(string? configured, HostUser buildUser)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return buildUser;
        }
        var parts = configured.Trim().Split(':');
        return parts.Length <= 2
            && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            && uint.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
                ? new HostUser(uid, parts.Length == 2 ? gid : uid)
                : throw Diagnostics.InvalidValue("AgentUser", configured, "give numeric ids as uid:gid, for example 1000:1000");
    }

    public override string ToString() => $"{Uid}:{Gid}";

    /// <summary>The owner of a path itself (a link is not followed), on Linux; null elsewhere or when it cannot be read.</summary>
    public static uint? OwnerOf(string path) => Common.FileStamp.Of(path)?.Owner;

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        public static extern uint getuid();

        [DllImport("libc", SetLastError = false)]
        public static extern uint getgid();
    }
}
