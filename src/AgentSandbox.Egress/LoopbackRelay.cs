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
/// streams, environment, folder), passes signals on to it and ends with its exit code, so that it can stand in front
/// of any command. It prints nothing on standard output, which is the command's.
/// </summary>
internal static class LoopbackRelay
{
    /// <summary>The exit code when the command cannot be started, as a shell's for a command not found.</summary>
    public const int NotStarted = 127;


    public static async Task<int> RunAsync(string folder, IReadOnlyList<string> command)
    {
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
        var serving = listeners.Select(entry => ServeAsync(entry.Listener, EgressProxy.SocketPath(folder, entry.Port), stop.Token)).ToList();
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
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            await Console.Error.WriteLineAsync($"{command[0]}: {exception.Message}").ConfigureAwait(false);
            return NotStarted;
        }
        var passOn = new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }
            .Select(signal => PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                _ = Kill(process.Id, context.Signal switch { PosixSignal.SIGHUP => 1, PosixSignal.SIGINT => 2, PosixSignal.SIGQUIT => 3, _ => 15 });
            }))
            .ToList();
        try
        {
            await process.WaitForExitAsync().ConfigureAwait(false);
            return process.ExitCode;
        }
        finally
        {
            passOn.ForEach(registration => registration.Dispose());
        }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
