#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace AgentSandbox.Sdk.IntegrationTests.Fakes;

/// <summary>A request as a fake API read it: headers by name (case-insensitive), the body as JSON when it is JSON.</summary>
public sealed record IncomingRequest(string Method, string Path, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, JsonNode? Body)
{
    /// <summary>The Authorization Bearer token, or null.</summary>
    public string? BearerToken =>
        Headers.TryGetValue("Authorization", out var value) && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : null;
}

/// <summary>
/// What the fake model APIs share: an HttpListener on 127.0.0.1 at a free port, an accept loop that hands each
/// request to the fake concurrently, the requests it recorded, and JSON and server-sent-event answers.
/// </summary>
public sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<HttpListenerContext, Task> _handle;
    private readonly List<RecordedRequest> _requests = new();
    private readonly Task _acceptLoop;

    private FakeHttpServer(HttpListener listener, IPAddress address, int port, Func<HttpListenerContext, Task> handle)
    {
        _listener = listener;
        _handle = handle;
        Root = new Uri($"http://{address}:{port}");
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>http://127.0.0.1:PORT, or the address it was told.</summary>
    public Uri Root { get; }

    /// <summary>Every request recorded so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<RecordedRequest> Requests { get { lock (_requests) return _requests.ToArray(); } }

    public void Record(RecordedRequest request)
    {
        lock (_requests) _requests.Add(request);
    }

    /// <param name="address">The address to listen on: loopback unless a test needs a network of its own to reach it.</param>
    public static FakeHttpServer Start(Func<HttpListenerContext, Task> handle, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        // HttpListener cannot bind port 0, so borrow a free port from the OS and retry if something races us to it.
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(address, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();

            var listener = new HttpListener();
            listener.Prefixes.Add($"http://{address}:{port}/");
            try
            {
                listener.Start();
                return new FakeHttpServer(listener, address, port, handle);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Close();
        await _acceptLoop.ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }

            // Handle concurrently: a slow or hung client must not block the CLI's next request.
            _ = Task.Run(async () =>
            {
                try { await _handle(context).ConfigureAwait(false); }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { /* client went away */ }
            });
        }
    }

    public static async Task<IncomingRequest> ReadAsync(HttpListenerRequest request)
    {
        var headers = request.Headers.AllKeys.OfType<string>()
            .ToDictionary(k => k, k => request.Headers[k] ?? "", StringComparer.OrdinalIgnoreCase);
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        var bodyText = await reader.ReadToEndAsync().ConfigureAwait(false);
        JsonNode? body = null;
        try { body = bodyText.Length > 0 ? JsonNode.Parse(bodyText) : null; } catch (JsonException) { }
        return new IncomingRequest(request.HttpMethod, request.Url!.AbsolutePath, request.Url.PathAndQuery, headers, body);
    }

    public static async Task WriteJsonAsync(HttpListenerResponse response, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    /// <summary>A 200 text/event-stream of the events, each sent (and flushed) as its own frame, as a real API streams them.</summary>
    public static Task WriteSseAsync(HttpListenerResponse response, IEnumerable<(string Event, object Data)> events) =>
        WriteFramesAsync(response, events.Select(e => $"event: {e.Event}\ndata: {JsonSerializer.Serialize(e.Data)}\n\n"));

    /// <summary>The same with data-only frames (no event names), as the Gemini API streams them.</summary>
    public static Task WriteSseAsync(HttpListenerResponse response, IEnumerable<object> data) =>
        WriteFramesAsync(response, data.Select(d => $"data: {JsonSerializer.Serialize(d)}\n\n"));

    private static async Task WriteFramesAsync(HttpListenerResponse response, IEnumerable<string> frames)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.SendChunked = true;
        foreach (var frame in frames)
        {
            await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(frame));
            await response.OutputStream.FlushAsync();
        }
        response.Close();
    }
}
