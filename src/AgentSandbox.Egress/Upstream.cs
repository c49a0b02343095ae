using System.Net.Sockets;
using System.Text;

namespace AgentSandbox.Egress;

/// <summary>
/// The way out: a direct connection, or through the host's own proxy (HTTPS_PROXY / HTTP_PROXY, minus NO_PROXY),
/// as a corporate network needs.
/// </summary>
internal sealed class Upstream(string? httpProxy, string? httpsProxy, string? noProxy)
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly Uri? _httpProxy = ProxyUri(httpProxy);
    private readonly Uri? _httpsProxy = ProxyUri(httpsProxy) ?? ProxyUri(httpProxy);
    private readonly string[] _noProxy = (noProxy ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(entry => entry.ToLowerInvariant()).ToArray();

    /// <summary>The host's proxy for plain HTTP to <paramref name="host"/>; null for a direct connection.</summary>
    public Uri? HttpProxyFor(string host) => Bypassed(host) ? null : _httpProxy;

    /// <summary>A tunnel to host:port: a direct TCP connection, or a CONNECT through the host's proxy.</summary>
    public async Task<Stream> TunnelAsync(string host, int port, CancellationToken cancellationToken)
    {
        var proxy = Bypassed(host) ? null : _httpsProxy;
        if (proxy is null)
        {
            return await ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        var stream = await ConnectAsync(proxy.Host, proxy.Port, cancellationToken).ConfigureAwait(false);
        try
        {
            var authority = host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";
            var request = new StringBuilder($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
            if (Authorization(proxy) is { } authorization)
            {
                request.Append("Proxy-Authorization: ").Append(authorization).Append("\r\n");
            }
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request.Append("\r\n").ToString()), cancellationToken).ConfigureAwait(false);
            var answer = await HttpHead.ReadAsync(stream, cancellationToken).ConfigureAwait(false);
            if (answer is null || answer.Second != "200")
            {
                throw new IOException($"the upstream proxy {proxy.Host}:{proxy.Port} refused the tunnel ({answer?.Second ?? "no answer"})");
            }
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static async Task<Stream> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await client.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            return client.GetStream();
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Basic credentials of a proxy URL such as http://user:password@proxy:3128, for Proxy-Authorization.</summary>
    public static string? Authorization(Uri proxy) =>
        proxy.UserInfo.Length == 0 ? null : "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(proxy.UserInfo)));

    /// <summary>NO_PROXY as curl reads it: *, exact names, and suffixes with or without a leading dot.</summary>
    private bool Bypassed(string host)
    {
        var name = host.ToLowerInvariant().TrimEnd('.');
        return _noProxy.Any(entry => entry == "*" || name == entry.TrimStart('.') || name.EndsWith(entry.StartsWith('.') ? entry : "." + entry, StringComparison.Ordinal));
    }

    private static Uri? ProxyUri(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var text = value.Contains("://", StringComparison.Ordinal) ? value.Trim() : "http://" + value.Trim();
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : null;
    }
}
