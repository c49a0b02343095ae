using System.Runtime.InteropServices;

namespace AgentSandbox.Project;

/// <summary>The uid/gid the agent runs as, so that what it writes into the mounted project belongs to the build's user.</summary>
public sealed record HostUser(uint Uid, uint Gid)
{
    public bool IsRoot => Uid == 0;

    /// <summary>Docker Desktop on Windows maps ownership itself; any ordinary uid works there.</summary>
    private static readonly HostUser WindowsDefault = new(1000, 1000);

    public static HostUser Current() =>
        OperatingSystem.IsWindows() ? WindowsDefault : new HostUser(NativeMethods.getuid(), NativeMethods.getgid());

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        public static extern uint getuid();

        [DllImport("libc", SetLastError = false)]
        public static extern uint getgid();
    }
}
