using System.Globalization;
using AgentSandbox.Common;
using AgentSandbox.Errors;
using AgentSandbox.Project;

namespace AgentSandbox.Docker;

/// <summary>
/// The commands of a container that is held open around its command, so that files can go in before it and come
/// back after it through the container's own processes (the only way there is into a folder in memory, and into a
/// cluster's pod): a holder that does nothing as its main process, under a user of its own, and everything else run
/// in it as the files' owner. Capabilities are dropped, so the owner (root too) can signal only its own processes:
/// ending them all never ends the holder, and the files are still there to take back.
/// </summary>
internal static class HeldContainer
{
    /// <summary>The main process: waits, and lets the init process before it reap whatever the command leaves.</summary>
    public static readonly IReadOnlyList<string> Holder = ["tail", "-f", "/dev/null"];

    /// <summary>nobody, or the id below it when the files' owner is nobody: never the owner.</summary>
    public static string HolderUser(HostUser owner) => owner.Uid == Nobody ? $"{Nobody - 1}:{Nobody - 1}" : $"{Nobody}:{Nobody}";

    private const uint Nobody = 65534;

    /// <summary>
    /// Extracts the tar on standard input at the root, as the owner: owners as the extracting user, modes as the tar
    /// says, but the folder itself as it is (a cluster's emptyDir belongs to root, open to all, and GNU tar before
    /// 1.35 changes an existing folder's mode even with --no-overwrite-dir): its own entry, and only that, is left out. Then writes down what it holds, sorted: the file is the list of the
    /// names that went in, and its time the mark after which a change comes back.
    /// </summary>
    public static IReadOnlyList<string> CopyIn(string folder)
    {
        var (parent, name) = Split(folder);
        return ["sh", "-c", $"tar -x -p --no-same-owner --no-recursion --anchored --exclude={name} -f - -C / && cd {parent} && find {name} -print0 | LC_ALL=C sort -z > {CopiedIn}"];
    }

    private const string CopiedIn = "/tmp/.agentsandbox-copied-in";

    private static (string Parent, string Name) Split(string folder) =>
        (Path.GetDirectoryName(folder.TrimEnd('/'))!.Replace('\\', '/'), Path.GetFileName(folder.TrimEnd('/')));

    /// <summary>A copy that did not end cleanly (<see cref="CopyIn"/>, <see cref="CopyOut"/>), with what tar said on its error output.</summary>
    public static AgentSandboxException CopyFailed(string direction, string said, long code)
    {
        // Its first words say why (tar repeats itself after them), on one line.
        var words = string.Join("; ", said.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(2));
        return Diagnostics.WorkspaceCopyFailed(direction, words.Length > 0 ? Text.Loggable(words) : $"tar ended with exit code {code}");
    }

    /// <summary>Where the listing of the whole tree goes; its name in the tar that comes back (first) is <see cref="ListingEntry"/>.</summary>
    private const string Listing = "/tmp/.agentsandbox-listing";

    public const string ListingEntry = "tmp/.agentsandbox-listing";

    /// <summary>
    /// The folder as a tar on standard output, entries named after it (workspace/...); a file its owner made
    /// unreadable is left out. <paramref name="changedOnly"/>: a listing of every entry (type and name) first, then
    /// only the entries whose status changed since <see cref="CopyIn"/> marked the time (content, mode, name: a
    /// change the kernel records, which no process can date back) and those under a name that did not go in (the
    /// files of a renamed folder keep their status), so that what did not change costs neither the copy nor a hash.
    /// A marker gone sends everything.
    /// </summary>
    public static IReadOnlyList<string> CopyOut(string folder, bool changedOnly)
    {
        var (parent, name) = Split(folder);
        return changedOnly
            ? ["sh", "-c", $"{EndAll}; cd {parent} && rm -f {Listing} && find {name} -printf '%y %p\\0' > {Listing} || exit 1; " +
                $"if [ -e {CopiedIn} ]; then {{ find {name} -cnewer {CopiedIn} -print0; find {name} -print0 | LC_ALL=C sort -z | LC_ALL=C comm -z -13 {CopiedIn} -; }} | LC_ALL=C sort -zu; " +
                $"else find {name} -print0; fi | tar -c -f - --null --no-recursion --ignore-failed-read -C / {ListingEntry} -C {parent} -T -"]
            : ["sh", "-c", $"{EndAll}; tar -c -f - --ignore-failed-read -C {parent} {name}"];
    }

    /// <summary>
    /// Ends every process of the owner's but the shell that asks: what the command's own end left running (it ended
    /// its shell first) no longer changes the files as they go.
    /// </summary>
    private const string EndAll = "kill -s KILL -- -1 2>/dev/null";

    /// <summary>The listing at the start of a tar <see cref="CopyOut"/> sent with only what changed: each entry's type (find's %y: d, f, l, s …) and name.</summary>
    public static IEnumerable<(char Type, string Name)> ReadListing(System.Formats.Tar.TarReader reader)
    {
        if (reader.GetNextEntry() is not { EntryType: System.Formats.Tar.TarEntryType.RegularFile, DataStream: { } data } entry || entry.Name != ListingEntry)
        {
            yield break;
        }
        using var text = new StreamReader(data, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: false));
        foreach (var record in text.ReadToEnd().Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (record.Length > 2 && record[1] == ' ')
            {
                yield return (record[0], record[2..]);
            }
        }
    }

    /// <summary>Whether a tar that came back is a listing and what changed (<see cref="CopyOut"/> with changedOnly), by its first entry.</summary>
    public static bool IsChangedOnly(string tarFile)
    {
        using var stream = File.OpenRead(tarFile);
        using var reader = new System.Formats.Tar.TarReader(stream);
        try
        {
            return reader.GetNextEntry() is { } first && first.Name == ListingEntry;
        }
        catch (Exception exception) when (exception is InvalidDataException or FormatException or EndOfStreamException)
        {
            // Not a tar at all: the comparison that reads it whole refuses it.
            return false;
        }
    }

    /// <summary>
    /// The command, and when it ends every process it left behind (servers, background jobs that would hold its
    /// output open and change the files while they go back): kill -1 reaches every process of the owner's but the
    /// shell itself (and the holder, the first process of a pod's container, which no signal from inside ends). The
    /// command's arguments reach it as they are: no shell reads them.
    /// </summary>
    /// <param name="workingDirectory">Where it runs, for an engine whose exec cannot say (a cluster's); null for the exec's own.</param>
    /// <param name="input">A file in the container that is its standard input (<see cref="SaveInput"/>); null for none.</param>
    public static IReadOnlyList<string> Command(IReadOnlyList<string> command, string? workingDirectory = null, string? input = null) =>
        ["sh", "-c", $"{(workingDirectory is null ? "" : "cd \"$0\" || exit 127; ")}\"$@\"{(input is null ? "" : " < " + input)}; status=$?; {EndAll}; exit $status",
            workingDirectory ?? "sh", .. command];

    /// <summary>Where <see cref="SaveInput"/> puts the command's standard input.</summary>
    public const string InputFile = "/tmp/.agentsandbox-input";

    /// <summary>
    /// Saves exactly <paramref name="bytes"/> of standard input as <see cref="InputFile"/>, for an engine whose exec
    /// cannot end its input (a cluster's before Kubernetes 1.29): head stops after the count.
    /// </summary>
    public static IReadOnlyList<string> SaveInput(int bytes) =>
        ["sh", "-c", FormattableString.Invariant($"head -c {bytes} > {InputFile}")];

    /// <summary>
    /// How many processes the kernel killed for the container's memory limit (cgroup v2, then v1): with the holder
    /// still running, the engine does not count the container as killed for memory.
    /// </summary>
    public static readonly IReadOnlyList<string> MemoryKills =
        ["sh", "-c", "cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null"];

    /// <summary>Whether <see cref="MemoryKills"/>' output counts a kill.</summary>
    public static bool CountsMemoryKill(string output) => output.Split('\n').Any(line =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["oom_kill", var count] && long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var kills) && kills > 0);
}
