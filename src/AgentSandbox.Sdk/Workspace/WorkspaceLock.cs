namespace AgentSandbox.Workspace;

/// <summary>
/// One at a time on this machine, across MSBuild's nodes and separate builds: agent runs in one live tree (they would
/// each take the other's changes for their own), copy mode's reading and writing of one tree, the build of one image.
/// The lock is an exclusive open of a file outside the tree (a file lock the operating system drops when the process
/// ends, however it ends).
/// </summary>
internal sealed class WorkspaceLock : IDisposable
{
    /// <summary>
    /// How long a waiting run sleeps between tries: short at first, as copy mode holds the lock for the tens of
    /// milliseconds it takes to read or write a tree (runs of -m side by side wait for each other that long), then
    /// doubled up to a quarter of a second for the long holds of mount mode.
    /// </summary>
    private static TimeSpan RetryInterval(int attempt) => TimeSpan.FromMilliseconds(Math.Min(10 << Math.Min(attempt, 5), 250));

    private readonly FileStream _lock;
    private readonly string _holderFile;

    private WorkspaceLock(FileStream held, string holderFile) => (_lock, _holderFile) = (held, holderFile);

    /// <param name="workspaceRoot">What is locked: a workspace's folder, or any other name ("image agentsandbox:…").</param>
    /// <param name="holder">Who holds it, as a waiting run names it ("AgentRun for HelloAgent").</param>
    /// <param name="waiting">Told once, with the holder's name, when another run holds the lock.</param>
    public static async Task<WorkspaceLock> AcquireAsync(string workspaceRoot, string holder, Action<string> waiting, CancellationToken cancellationToken)
    {
        // The user's own state folder: another user could plant a link in a shared temporary folder.
        var directory = StateFolder.Of("locks");
        var name = Common.Text.ShortHash(Path.TrimEndingDirectorySeparator(workspaceRoot), 24);
        var path = Path.Combine(directory, name + ".lock");
        var holderFile = Path.Combine(directory, name + ".holder");
        var told = false;
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                try
                {
                    File.WriteAllText(holderFile, $"{holder} (process {Environment.ProcessId})");
                }
                catch (IOException)
                {
                    // Not held after all: the next try opens it again.
                    held.Dispose();
                    throw;
                }
                return new WorkspaceLock(held, holderFile);
            }
            catch (IOException)
            {
                if (!told)
                {
                    told = true;
                    waiting(ReadHolder(holderFile));
                }
                await Task.Delay(RetryInterval(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string ReadHolder(string holderFile)
    {
        try
        {
            return File.ReadAllText(holderFile).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "another agent run";
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_holderFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Only a name for waiting runs to print; the lock itself is released below.
        }
        _lock.Dispose();
    }
}
