using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentSandbox.Egress;

/// <summary>
/// The proxy: on <see cref="EgressConfig.Port"/> a forward proxy that lets through only the allowlist (CONNECT tunnels,
/// and plain HTTP requests in absolute form), and on each route's port the API behind it with the real credential
/// added. Every decision is printed as an <see cref="EgressEvent"/> line.
/// With a socket folder each of those ports is a unix socket in it instead (<see cref="SocketPath"/>), reached by
/// <see cref="LoopbackRelay"/> in the agent's container, which has no network at all: the proxy then listens on no
/// network either.
/// </summary>
internal sealed class EgressProxy
{
    private readonly EgressConfig _config;
    private readonly string? _socketFolder;
    private readonly IReadOnlyList<string> _names;
    private readonly List<HostRule> _rules;
    private readonly Upstream _upstream;
    private readonly Dictionary<int, CredentialRoute> _routes;
    private readonly Action<EgressEvent> _report;

    /// <param name="socketFolder">The folder of the unix sockets to listen on; null for TCP on every address.</param>
    public EgressProxy(EgressConfig config, Action<EgressEvent> report, string? socketFolder = null)
    {
        _config = config;
        _socketFolder = socketFolder;
        // Through the relay the agent names the proxy by its loopback address.
        _names = socketFolder is null ? config.Names : [.. config.Names, "127.0.0.1", "localhost"];
        _report = report;
        _rules = config.Allow.Select(entry => HostRule.Parse(entry) ?? throw new FormatException($"'{entry}' is not a host rule.")).ToList();
        _upstream = new Upstream(config.HttpProxy, config.HttpsProxy, config.NoProxy);
        _routes = config.Routes.ToDictionary(route => route.Port, route => new CredentialRoute(route, report));
    }

    /// <summary>Listens on every port, reports ready, and serves until <paramref name="cancellationToken"/> ends it.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var listeners = new List<(Socket Listener, Func<NetworkStream, CancellationToken, Task> Serve)>
        {
            (Listen(_config.Port), ServeForwardAsync),
        };
        listeners.AddRange(_routes.Values.Select(route => (Listen(route.Config.Port), (Func<NetworkStream, CancellationToken, Task>)((client, token) => route.ServeAsync(client, null, null, token)))));
        if (_socketFolder is not null)
        {
            // For the relay, which may start before this: every socket listens once it is there (written, then renamed).
            var ready = ReadyPath(_socketFolder);
            File.WriteAllText(ready + ".new", "");
            File.Move(ready + ".new", ready, overwrite: true);
        }
        _report(new EgressEvent(EgressEvent.Ready));
        try
        {
            await Task.WhenAll(listeners.Select(entry => AcceptAsync(entry.Listener, entry.Serve, cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            listeners.ForEach(entry => entry.Listener.Dispose());
        }
    }

    /// <summary>The unix socket of a port in a socket folder: what <see cref="LoopbackRelay"/> finds and connects to.</summary>
    public static string SocketPath(string folder, int port) => Path.Combine(folder, port.ToString(CultureInfo.InvariantCulture) + SocketExtension);

    public const string SocketExtension = ".sock";

    /// <summary>The file in a socket folder that says all its sockets listen.</summary>
    public static string ReadyPath(string folder) => Path.Combine(folder, "ready");

    private Socket Listen(int port)
    {
        if (_socketFolder is null)
        {
            var listener = new TcpListener(IPAddress.Any, port);
            listener.Start(512);
            return listener.Server;
        }
        var path = SocketPath(_socketFolder, port);
        File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        // The agent's user is not the proxy's: connecting takes write permission on the socket.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        }
        socket.Listen(512);
        return socket;
    }

    private static async Task AcceptAsync(Socket listener, Func<NetworkStream, CancellationToken, Task> serve, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (socket.ProtocolType == ProtocolType.Tcp)
            {
                socket.NoDelay = true;
            }
            _ = Task.Run(async () =>
            {
                await using var stream = new NetworkStream(socket, ownsSocket: true);
                try
                {
                    await serve(stream, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is IOException or SocketException or InvalidDataException or OperationCanceledException or ObjectDisposedException or HttpRequestException)
                {
                    // One connection's trouble is that connection's: the proxy serves on.
                }
            }, CancellationToken.None);
        }
    }

    private async Task ServeForwardAsync(NetworkStream client, CancellationToken cancellationToken)
    {
        var head = await HttpHead.ReadAsync(client, cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return;
        }
        if (head.First == "CONNECT")
        {
            await TunnelAsync(client, head, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!Uri.TryCreate(head.Second, UriKind.Absolute, out var target) || target.Scheme != Uri.UriSchemeHttp)
        {
            await AnswerAsync(client, 400, "This is the sandbox's egress proxy: send http:// requests in absolute form and https through CONNECT.", cancellationToken).ConfigureAwait(false);
            return;
        }
        // A client that sends even the API's requests through HTTP_PROXY: the route on that port serves them.
        if (_names.Contains(target.IdnHost, StringComparer.OrdinalIgnoreCase) && _routes.TryGetValue(target.Port, out var route))
        {
            await route.ServeAsync(client, head, target.PathAndQuery, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!Allowed(target.IdnHost, target.Port))
        {
            await RefuseAsync(client, target.IdnHost, target.Port, cancellationToken).ConfigureAwait(false);
            return;
        }
        // One request per connection: with Connection: close the relay below ends with the server's answer.
        head.Remove("Proxy-Connection");
        head.Remove("Proxy-Authorization");
        head.Remove("Keep-Alive");
        head.Set("Connection", "close");
        var proxy = _upstream.HttpProxyFor(target.IdnHost);
        await using var server = await Upstream.ConnectAsync(proxy?.Host ?? target.IdnHost, proxy?.Port ?? target.Port, cancellationToken).ConfigureAwait(false);
        if (proxy is not null && Upstream.Authorization(proxy) is { } authorization)
        {
            head.Set("Proxy-Authorization", authorization);
        }
        await server.WriteAsync(head.ToBytes(proxy is null ? $"{head.First} {target.PathAndQuery} {head.Third}" : null), cancellationToken).ConfigureAwait(false);
        await Relay.BothWaysAsync(client, server, cancellationToken).ConfigureAwait(false);
    }

    private async Task TunnelAsync(NetworkStream client, HttpHead head, CancellationToken cancellationToken)
    {
        if (!TrySplitAuthority(head.Second, out var host, out var port))
        {
            await AnswerAsync(client, 400, "CONNECT needs host:port.", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!Allowed(host, port))
        {
            await RefuseAsync(client, host, port, cancellationToken).ConfigureAwait(false);
            return;
        }
        Stream server;
        try
        {
            server = await _upstream.TunnelAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
        {
            await AnswerAsync(client, 502, $"The egress proxy could not reach {host}:{port}: {exception.Message}", cancellationToken).ConfigureAwait(false);
            return;
        }
        await using (server.ConfigureAwait(false))
        {
            await client.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await Relay.BothWaysAsync(client, server, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool Allowed(string host, int port)
    {
        var allowed = _rules.Any(rule => rule.Allows(host, port));
        if (allowed)
        {
            _report(new EgressEvent(EgressEvent.Allowed, host, port));
        }
        return allowed;
    }

    private Task RefuseAsync(Stream client, string host, int port, CancellationToken cancellationToken)
    {
        _report(new EgressEvent(EgressEvent.Refused, host, port));
        return AnswerAsync(client, 403,
            $"AgentSandbox's egress allowlist does not have {host}:{port}; the build that ran this sandbox can allow it with <AgentAllowedHost Include=\"{HostRule.Suggest(host, port)}\" />.",
            cancellationToken);
    }

    public static async Task AnswerAsync(Stream client, int status, string message, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(message + "\n");
        var reason = status switch { 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden", 502 => "Bad Gateway", _ => "Error" };
        var head = $"HTTP/1.1 {status.ToString(CultureInfo.InvariantCulture)} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n" +
            $"Content-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\nConnection: close\r\n\r\n";
        await client.WriteAsync(Encoding.Latin1.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await client.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }

    private static bool TrySplitAuthority(string authority, out string host, out int port)
    {
        (host, port) = ("", 0);
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is <= 0 or > 65535)
        {
            return false;
        }
        host = authority[..colon].TrimStart('[').TrimEnd(']');
        return host.Length > 0;
    }
}
