using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace AgentSandbox.Egress;

/// <summary>
/// One API behind the proxy: requests that carry the run's token go on to the API with the real credential in its
/// place, and the answer streams back as it comes (server-sent events included). Requests without the token get 401
/// and never reach the API.
/// </summary>
internal sealed class CredentialRoute(RouteConfig config, Action<EgressEvent> report)
{
    /// <summary>Headers that belong to one connection, not to the request: never passed on.</summary>
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate",
        "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Content-Length", "Expect",
    };

    /// <summary>The way out honours the host's proxy: HttpClient reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY, which Program sets from the configuration.</summary>
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = Upstream.ConnectTimeout,
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private readonly string _host = new Uri(config.Upstream).IdnHost;

    public RouteConfig Config => config;

    /// <param name="first">A request already read off the connection (one sent through the forward port), or null.</param>
    /// <param name="firstTarget">That request's path and query.</param>
    public async Task ServeAsync(NetworkStream client, HttpHead? first, string? firstTarget, CancellationToken cancellationToken)
    {
        while (true)
        {
            var head = first ?? await HttpHead.ReadAsync(client, cancellationToken).ConfigureAwait(false);
            var target = firstTarget ?? head?.Second;
            (first, firstTarget) = (null, null);
            if (head is null || target is null)
            {
                return;
            }
            if (!Authorized(head))
            {
                report(new EgressEvent(EgressEvent.Unauthorized, _host, config.Port));
                await EgressProxy.AnswerAsync(client, 401, "AgentSandbox's credential proxy serves only the sandbox's agent: the request lacks the run's token.", cancellationToken).ConfigureAwait(false);
                return;
            }
            if (!target.StartsWith('/'))
            {
                await EgressProxy.AnswerAsync(client, 400, "The credential proxy takes requests in origin form (a path).", cancellationToken).ConfigureAwait(false);
                return;
            }
            report(new EgressEvent(EgressEvent.Allowed, _host, config.Port));
            var keepOpen = await ForwardAsync(client, head, target, cancellationToken).ConfigureAwait(false);
            if (!keepOpen)
            {
                return;
            }
        }
    }

    /// <summary>
    /// At least one credential header, and each one there, holds exactly the run's stand-in: a caller without it, or
    /// with a credential of its own (which would go out as it is), is refused.
    /// </summary>
    private bool Authorized(HttpHead head)
    {
        var present = config.Credentials.Where(credential => head[credential.Header] is not null).ToList();
        return present.Count > 0 && present.All(credential =>
            CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(head[credential.Header]!), Encoding.UTF8.GetBytes(credential.Expected)));
    }

    /// <returns>Whether the connection can carry another request.</returns>
    private async Task<bool> ForwardAsync(NetworkStream client, HttpHead head, string target, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(head.First), new Uri(config.Upstream.TrimEnd('/') + target));
        if (head["Content-Length"] is { } length && long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
        {
            request.Content = new StreamContent(new BodyStream(client, bytes));
        }
        else if ((head["Transfer-Encoding"] ?? "").Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            request.Content = new StreamContent(new BodyStream(client, null));
        }
        var credentials = config.Credentials.Where(credential => head[credential.Header] is not null).ToList();
        foreach (var (name, value) in head.Headers.Where(header => !HopByHop.Contains(header.Key) && !credentials.Any(credential => string.Equals(header.Key, credential.Header, StringComparison.OrdinalIgnoreCase))))
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }
        foreach (var credential in credentials)
        {
            request.Headers.TryAddWithoutValidation(credential.Header, credential.Real);
        }
        if (head["Expect"] is not null)
        {
            await client.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }

        HttpResponseMessage response;
        try
        {
            response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            await EgressProxy.AnswerAsync(client, 502, $"The credential proxy could not reach {_host}: {exception.Message}", cancellationToken).ConfigureAwait(false);
            return false;
        }
        using (response)
        {
            var text = new StringBuilder($"HTTP/1.1 {(int)response.StatusCode} {response.ReasonPhrase}\r\n");
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    text.Append(name).Append(": ").Append(string.Join(", ", values)).Append("\r\n");
                }
            }
            var noBody = head.First == "HEAD" || (int)response.StatusCode is 204 or 304 || (int)response.StatusCode < 200;
            var contentLength = response.Content.Headers.ContentLength;
            if (contentLength is { } known)
            {
                text.Append("Content-Length: ").Append(known.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            }
            else if (!noBody)
            {
                text.Append("Transfer-Encoding: chunked\r\n");
            }
            await client.WriteAsync(Encoding.Latin1.GetBytes(text.Append("\r\n").ToString()), cancellationToken).ConfigureAwait(false);
            if (!noBody)
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await CopyBodyAsync(body, client, chunked: contentLength is null, cancellationToken).ConfigureAwait(false);
            }
        }
        return !head.Closes;
    }

    private static async Task CopyBodyAsync(Stream body, Stream client, bool chunked, CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (chunked)
            {
                await client.WriteAsync(Encoding.Latin1.GetBytes($"{read:x}\r\n"), cancellationToken).ConfigureAwait(false);
            }
            await client.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            if (chunked)
            {
                await client.WriteAsync("\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            }
        }
        if (chunked)
        {
            await client.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }
    }
}
