using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AgentSandbox.Egress;

/// <summary>
/// The agent's end of a proxy that listens on unix sockets (<see cref="EgressProxy.SocketPath"/>): in the agent's
/// container, which has no network but its loopback, each socket of the folder becomes its port on 127.0.0.1, where
/// the agent's proxy variables and base URLs point. Then it runs the command with what it was given (standard
/// streams, environment, folder, default signal handling), passes signals on to it and ends with its exit code, so
/// that it can stand in front of any command. It prints nothing on standard output, which is the command's, and one
/// line on standard error before the command starts: <see cref="SocketRefusal.Started"/>, or the refusal.
/// </summary>
internal static class LoopbackRelay
{
    /// <summary>The exit code when the command cannot be started, as a shell's for a command not found.</summary>
    public const int NotStarted = 127;

    /// <summary>
    /// How long it waits for the proxy, which may start beside it, to listen: far longer than the engine gives the
    /// proxy (its start, then 20 s), which ends this container when the proxy fails, so that a slow proxy is never
    /// taken for one out of reach.
    /// </summary>
    private static readonly TimeSpan ProxyWait = TimeSpan.FromMinutes(2);

    /// <param name="proxyWait">How long to wait for the proxy to listen; <see cref="ProxyWait"/> when null.</param>
    public static async Task<int> RunAsync(string folder, IReadOnlyList<string> command, TimeSpan? proxyWait = null)
    {
        for (var waited = Stopwatch.StartNew(); !File.Exists(EgressProxy.ReadyPath(folder)) && waited.Elapsed < (proxyWait ?? ProxyWait);)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
        var ports = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*" + EgressProxy.SocketExtension)
                .Select(file => int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 0)
                .Where(port => port is > 0 and <= 65535).Order().ToList()
            : [];
        var why = ports.Count == 0 ? "there is none" : await ProbeAsync(EgressProxy.SocketPath(folder, ports[0])).ConfigureAwait(false);
        if (why is not null)
        {
            await Console.Error.WriteLineAsync($"{SocketRefusal.Words} in {folder}: {why}.").ConfigureAwait(false);
            return SocketRefusal.ExitCode;
        }
        using var stop = new CancellationTokenSource();
        var listeners = ports.Select(port => (Port: port, Listener: Listen(port))).ToList();
        foreach (var (port, listener) in listeners)
        {
            _ = ServeAsync(listener, EgressProxy.SocketPath(folder, port), stop.Token);
        }
        try
        {
            return await RunCommandAsync(command).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            listeners.ForEach(entry => entry.Listener.Stop());
        }
    }

    /// <summary>Null when the socket takes a connection, else why not (a sandboxing runtime such as gVisor refuses sockets of the host).</summary>
    private static async Task<string?> ProbeAsync(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).ConfigureAwait(false);
            return null;
        }
        catch (SocketException exception)
        {
            return exception.Message;
        }
    }

    private static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start(512);
        return listener;
    }

    private static async Task ServeAsync(TcpListener listener, string socketPath, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            client.NoDelay = true;
            _ = Task.Run(async () =>
            {
                await using var near = new NetworkStream(client, ownsSocket: true);
                var proxy = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await proxy.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is SocketException or OperationCanceledException)
                {
                    proxy.Dispose();
                    return;
                }
                await using var far = new NetworkStream(proxy, ownsSocket: true);
                await Relay.BothWaysAsync(near, far, cancellationToken).ConfigureAwait(false);
            }, CancellationToken.None);
        }
    }

    /// <summary>The command to its end, with the signals the relay gets passed on to it; its exit code (128 + the signal when one ended it).</summary>
    private static async Task<int> RunCommandAsync(IReadOnlyList<string> command)
    {
        await Console.Error.WriteLineAsync(SocketRefusal.Started).ConfigureAwait(false);
        if (Executable(command[0]) is not { } path)
        {
            await Console.Error.WriteLineAsync($"{command[0]}: not found").ConfigureAwait(false);
            return NotStarted;
        }
        var start = new ProcessStartInfo(path) { UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }
        using var process = new Process { StartInfo = start };
        // Registered first: a signal while the command starts reaches it once it has.
        var pending = 0;
        var passOn = new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }
            .Select(signal => PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                var number = context.Signal switch { PosixSignal.SIGHUP => 1, PosixSignal.SIGINT => 2, PosixSignal.SIGQUIT => 3, _ => 15 };
                lock (process)
                {
                    _ = pending == -1 ? Kill(process.Id, number) : pending = number;
                }
            }))
            .ToList();
        try
        {
            lock (process)
            {
                // The runtime ignores SIGPIPE, and an ignored signal stays ignored in a program it starts: the
                // command gets the default back, as a shell would give it (a pipeline's writer ends quietly).
                _ = Signal(SigPipe, SigDefault);
                try
                {
                    process.Start();
                }
                catch (Win32Exception exception)
                {
                    Console.Error.WriteLine($"{command[0]}: {exception.Message}");
                    return NotStarted;
                }
                finally
                {
                    _ = Signal(SigPipe, SigIgnore);
                }
                _ = pending > 0 ? Kill(process.Id, pending) : 0;
                pending = -1;
            }
            await process.WaitForExitAsync().ConfigureAwait(false);
            return process.ExitCode;
        }
        finally
        {
            passOn.ForEach(registration => registration.Dispose());
        }
    }

    /// <summary>
    /// Where the command is, as a shell finds it: a name with a slash as it is, any other only in PATH's folders and
    /// only when executable, never in the current folder (the workspace, where the agent could put a program of that name).
    /// </summary>
    internal static string? Executable(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return name;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':')
            .Where(folder => folder.StartsWith('/'))
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(candidate => File.Exists(candidate) && !OperatingSystem.IsWindows()
                && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
    }

    private const int SigPipe = 13;
    private static readonly IntPtr SigDefault = 0;
    private static readonly IntPtr SigIgnore = 1;

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "signal")]
    private static extern IntPtr Signal(int signal, IntPtr handler);
}
