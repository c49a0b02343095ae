using System.Runtime.InteropServices;

namespace AgentSandbox.Common;

/// <summary>
/// What the kernel records of a path itself (a link is not followed), read with statx on Linux; null elsewhere. Its
/// change time is set by the kernel on every write, rename, chmod and touch, and no process can set it back (only a
/// change of the clock, which a container cannot make): a file whose stamp is the same as when it was read still has
/// the content read then, whatever its size and modification time say.
/// </summary>
internal readonly record struct FileStamp(uint Owner, ulong Device, ulong Inode, ulong Length, long Modified, long Changed)
{
    // statx's buffer has one layout on every architecture, unlike stat's.
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
    private const uint StatxUid = 0x8, StatxMtime = 0x40, StatxCtime = 0x80, StatxIno = 0x100, StatxSize = 0x200;
    private const uint Wanted = StatxUid | StatxMtime | StatxCtime | StatxIno | StatxSize;

    // Not read once a call has found no statx (a C library before glibc 2.28).
    private static bool s_missing;

    /// <summary>The stamp of a path, with every field the kernel gave; null off Linux or when the path cannot be read.</summary>
    public static FileStamp? Of(string path)
    {
        if (!OperatingSystem.IsLinux() || s_missing)
        {
            return null;
        }
        var buffer = new byte[256];
        try
        {
            if (NativeMethods.statx(AtFdCwd, path, AtSymlinkNoFollow, Wanted, buffer) != 0
                || (BitConverter.ToUInt32(buffer, 0) & Wanted) != Wanted)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            s_missing = true;
            return null;
        }
        long Nanoseconds(int offset) =>
            BitConverter.ToInt64(buffer, offset) * 1_000_000_000 + BitConverter.ToUInt32(buffer, offset + 8);
        return new FileStamp(
            Owner: BitConverter.ToUInt32(buffer, 20),
            Device: (ulong)BitConverter.ToUInt32(buffer, 136) << 32 | BitConverter.ToUInt32(buffer, 140),
            Inode: BitConverter.ToUInt64(buffer, 32),
            Length: BitConverter.ToUInt64(buffer, 40),
            Modified: Nanoseconds(112),
            Changed: Nanoseconds(96));
    }

    /// <summary>
    /// Filesystem types that keep a change time of their own as the kernel sets it. Others (FAT, a FUSE or network
    /// filesystem, WSL's drives) may report one they make up, so what is on them is always read.
    /// </summary>
    private static readonly HashSet<long> KeepingChangeTimes =
    [
        0xEF53, // ext2, ext3, ext4
        0x58465342, // xfs
        0x9123683E, // btrfs
        0x01021994, // tmpfs
        0x794C7630, // overlayfs
        0x2FC12FC1, // zfs
        0xF2F52010, // f2fs
    ];

    /// <summary>Whether the filesystem a folder is on keeps change times that a stamp can be trusted with.</summary>
    public static bool KeepsChangeTimes(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        // f_type is the first field of struct statfs, a long on 64-bit Linux.
        var buffer = new byte[256];
        try
        {
            return NativeMethods.statfs(folder, buffer) == 0 && KeepingChangeTimes.Contains(BitConverter.ToInt64(buffer, 0));
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        public static extern int statfs([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

        [DllImport("libc", SetLastError = false)]
        public static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
    }
}
