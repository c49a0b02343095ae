using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentSandbox.Docker;

/// <summary>
/// HTTP/1.1 to a Docker engine over its socket (unix, tcp, npipe), written for the engine's API only: a connection per
/// request (over a local socket that costs a fraction of a millisecond), a JSON body or a streamed one, answers with a
/// length, chunked or up to the connection's end, and the connection that attach and exec take over for a process's
/// input and output. No HttpClient and no serializer: every agent target's build is a new process, and a general
/// client's first use (its HTTP stack, the JSON shape of the engine's large models) was most of what a warm run
/// compiled before its first engine call.
/// </summary>
internal sealed class EngineConnection(Uri endpoint)
{
    /// <summary>Longest status line and headers accepted from the engine.</summary>
    private const int MaxHead = 64 * 1024;

    private static readonly TimeSpan PipeConnectTimeout = TimeSpan.FromSeconds(10);

    public Uri Endpoint { get; } = endpoint;

    /// <summary>The scheme is one this client reaches; anything else is refused before any request.</summary>
    public static EngineConnection For(Uri endpoint) => endpoint.Scheme switch
    {
        "unix" or "tcp" or "http" or "npipe" => new EngineConnection(endpoint),
        _ => throw new NotSupportedException($"the scheme {endpoint.Scheme}:// is not supported (unix://, tcp:// and npipe:// are)"),
    };

    /// <summary>A request whose answer is read whole (JSON or nothing); an error status throws <see cref="EngineApiException"/>.</summary>
    public async Task<JsonNode?> JsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        await using var response = await SendAsync(method, path, body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()), null, null, upgrade: false, cancellationToken).ConfigureAwait(false);
        var text = await response.ReadTextAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException unreadable)
        {
            throw new EngineProtocolException($"its answer is not JSON ({unreadable.Message})");
        }
    }

    /// <summary>A request whose answer is the engine's stream of JSON messages (build, pull, push), each passed on as it comes.</summary>
    public async Task StreamAsync(HttpMethod method, string path, Stream? body, IReadOnlyDictionary<string, string>? headers, Action<JsonElement> onMessage, CancellationToken cancellationToken)
    {
        await using var response = await SendAsync(method, path, null, body, headers, upgrade: false, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(response.Body, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Trim().Length == 0)
            {
                continue;
            }
            JsonDocument message;
            try
            {
                message = JsonDocument.Parse(line);
            }
            catch (JsonException unreadable)
            {
                throw new EngineProtocolException($"a message it streamed is not JSON ({unreadable.Message})");
            }
            using (message)
            {
                onMessage(message.RootElement);
            }
        }
    }

    /// <summary>Attach and exec start: the connection itself, taken over for the process's input and output.</summary>
    /// <param name="body">Exec start's options; none for attach, whose body the engine does not read: its bytes would reach the container's input.</param>
    public async Task<EngineStream> HijackAsync(string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Post, path, body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()), null, null, upgrade: true, cancellationToken).ConfigureAwait(false);
        return new EngineStream(response);
    }

    private async Task<EngineResponse> SendAsync(HttpMethod method, string path, byte[]? json, Stream? streamed,
        IReadOnlyDictionary<string, string>? headers, bool upgrade, CancellationToken cancellationToken)
    {
        var (stream, socket) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var head = new StringBuilder().Append(method.Method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: docker\r\nUser-Agent: AgentSandbox\r\n");
            if (json is not null)
            {
                head.Append("Content-Type: application/json\r\nContent-Length: ").Append(json.Length).Append("\r\n");
            }
            else if (streamed is not null)
            {
                head.Append("Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n");
            }
            else if (method != HttpMethod.Get && method != HttpMethod.Delete)
            {
                head.Append("Content-Length: 0\r\n");
            }
            // One request per connection: the answer ends where the engine closes it, even without a length.
            head.Append(upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n");
            foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            {
                head.Append(name).Append(": ").Append(value).Append("\r\n");
            }
            head.Append("\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
            if (json is not null)
            {
                await stream.WriteAsync(json, cancellationToken).ConfigureAwait(false);
            }
            else if (streamed is not null)
            {
                await WriteChunkedAsync(stream, streamed, cancellationToken).ConfigureAwait(false);
            }
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            var response = await EngineResponse.ReadAsync(stream, socket, cancellationToken).ConfigureAwait(false);
            if (response.Status >= 400)
            {
                await using (response)
                {
                    throw new EngineApiException((HttpStatusCode)response.Status, await response.ReadTextAsync(cancellationToken).ConfigureAwait(false));
                }
            }
            return response;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task WriteChunkedAsync(Stream stream, Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{read:x}\r\n"), cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync("\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }
        await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    /// <returns>The connection, and its socket when it has one (a named pipe has none): closing only its sending half ends a process's input.</returns>
    private async Task<(Stream Stream, Socket? Socket)> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Endpoint.Scheme == "npipe")
        {
            // npipe://./pipe/docker_engine: the server, then the pipe's name after /pipe/.
            var server = string.IsNullOrEmpty(Endpoint.Host) ? "." : Endpoint.Host;
            var name = Endpoint.AbsolutePath.StartsWith("/pipe/", StringComparison.Ordinal) ? Endpoint.AbsolutePath["/pipe/".Length..] : Endpoint.AbsolutePath.TrimStart('/');
            var pipe = new NamedPipeClientStream(server, name, PipeDirection.InOut, PipeOptions.Asynchronous);
            try
            {
                // A pipe that does not exist (Docker Desktop stopped) is waited for, and retried, up to this long.
                await pipe.ConnectAsync((int)PipeConnectTimeout.TotalMilliseconds, cancellationToken).ConfigureAwait(false);
                return (pipe, null);
            }
            catch
            {
                await pipe.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        Socket socket;
        EndPoint target;
        if (Endpoint.Scheme == "unix")
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            target = new UnixDomainSocketEndPoint(Endpoint.LocalPath);
        }
        else
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            target = new DnsEndPoint(Endpoint.Host, Endpoint.Port > 0 ? Endpoint.Port : 2375);
        }
        try
        {
            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            return (new NetworkStream(socket, ownsSocket: true), socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An engine's answer: its status, and its body as it comes.</summary>
    internal sealed class EngineResponse : IAsyncDisposable
    {
        private readonly Stream _connection;

        private EngineResponse(int status, Stream connection, Socket? socket, Stream body)
        {
            (Status, _connection, Socket, Body) = (status, connection, socket, body);
        }

        public int Status { get; }

        /// <summary>The body, decoded (a length, chunks, or up to the end); after an upgrade, the connection itself.</summary>
        public Stream Body { get; }

        /// <summary>The connection's socket, when it has one.</summary>
        public Socket? Socket { get; }

        /// <summary>The connection as written to, for a process's input after an upgrade.</summary>
        public Stream Connection => _connection;

        public static async Task<EngineResponse> ReadAsync(Stream connection, Socket? socket, CancellationToken cancellationToken)
        {
            var buffer = new byte[8192];
            var filled = 0;
            int end;
            while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= MaxHead)
                    {
                        throw new EngineProtocolException("its answer's headers have no end");
                    }
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                var read = await connection.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("The engine closed the connection before it answered.");
                }
                filled += read;
            }
            var lines = Encoding.ASCII.GetString(buffer, 0, end).Split("\r\n");
            var status = lines[0].Split(' ') is [_, var code, ..] && int.TryParse(code, out var parsed)
                ? parsed : throw new EngineProtocolException($"its answer is not HTTP ({Common.Text.Loggable(lines[0])})");
            long? length = null;
            var chunked = false;
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    continue;
                }
                var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, out var bytes))
                {
                    length = bytes;
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    chunked = true;
                }
            }
            // What came after the headers is the body's start.
            Stream raw = new PrefixedStream(buffer.AsMemory(end + 4, filled - end - 4).ToArray(), connection);
            Stream body = status is 101 or 204 or 304 ? (status == 101 ? raw : Stream.Null)
                : chunked ? new ChunkedStream(raw)
                : length is { } known ? new LengthStream(raw, known)
                : raw;
            return new EngineResponse(status, connection, socket, body);
        }

        public async Task<string> ReadTextAsync(CancellationToken cancellationToken)
        {
            using var reader = new StreamReader(Body, Encoding.UTF8, leaveOpen: true);
            return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }

    /// <summary>Bytes already read, then the rest of the connection.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : ReadOnlyStream
    {
        private int _offset;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_offset < prefix.Length)
            {
                var count = Math.Min(buffer.Length, prefix.Length - _offset);
                prefix.AsMemory(_offset, count).CopyTo(buffer);
                _offset += count;
                return count;
            }
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class LengthStream(Stream inner, long length) : ReadOnlyStream
    {
        private long _left = length;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left == 0)
            {
                return 0;
            }
            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The engine closed the connection before the end of its answer.");
            }
            _left -= read;
            return read;
        }
    }

    /// <summary>A chunked body's data: each chunk's size line, its bytes, then the next, up to the chunk of size 0.</summary>
    private sealed class ChunkedStream(Stream inner) : ReadOnlyStream
    {
        private long _left;
        private bool _done;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_done || buffer.Length == 0)
            {
                return 0;
            }
            if (_left == 0)
            {
                var size = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
                // A chunk's size may carry extensions after a semicolon.
                _left = long.TryParse(size.Split(';')[0].Trim(), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes >= 0
                    ? bytes : throw new EngineProtocolException($"a chunk of its answer has no size ({Common.Text.Loggable(size)})");
                if (_left == 0)
                {
                    _done = true;
                    return 0;
                }
            }
            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The engine closed the connection in the middle of a chunk.");
            }
            _left -= read;
            if (_left == 0)
            {
                // The chunk's own line end.
                await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            return read;
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            var line = new StringBuilder();
            var one = new byte[1];
            while (true)
            {
                if (await inner.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
                {
                    throw new IOException("The engine closed the connection in the middle of a chunked answer.");
                }
                if (one[0] == '\n')
                {
                    return line.ToString().TrimEnd('\r');
                }
                if (line.Length > 1024)
                {
                    throw new EngineProtocolException("a chunk's size line of its answer is too long");
                }
                line.Append((char)one[0]);
            }
        }
    }

    /// <summary>A stream read from only, asynchronously or not.</summary>
    internal abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// Windows: a write of zero bytes is how the engine's named pipe learns that a process's input ended, and .NET skips
    /// such writes, so it is made directly. The pipe is open for overlapped I/O: the write gets an event of its own, its
    /// low bit set so that its completion does not go to the thread pool's port, and is waited for.
    /// </summary>
    internal static void EndPipeInput(PipeStream pipe)
    {
        if (!OperatingSystem.IsWindows())
        {
            return;
        }
        using var done = new EventWaitHandle(false, EventResetMode.ManualReset);
        var overlapped = new NativeOverlapped { EventHandle = done.SafeWaitHandle.DangerousGetHandle() | 1 };
        // A local on the stack does not move while the write is waited for.
        if (!WriteFile(pipe.SafePipeHandle, IntPtr.Zero, 0, IntPtr.Zero, ref overlapped)
            && (Marshal.GetLastWin32Error() != ErrorIoPending || !GetOverlappedResult(pipe.SafePipeHandle, ref overlapped, out _, wait: true)))
        {
            throw new IOException("The engine's pipe refused the end of the input.", Marshal.GetHRForLastWin32Error());
        }
    }

    private const int ErrorIoPending = 997;

    [DllImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool WriteFile(SafeHandle handle, IntPtr buffer, int count, IntPtr written, ref NativeOverlapped overlapped);

    [DllImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool GetOverlappedResult(SafeHandle handle, ref NativeOverlapped overlapped, out int transferred, [MarshalAs(UnmanagedType.Bool)] bool wait);
}

/// <summary>The engine answered, but not as its API does (a field missing, a frame or chunk that cannot be read).</summary>
internal sealed class EngineProtocolException(string reason) : Exception(reason);

/// <summary>The engine refused a request: its status, and its reason (the "message" of its JSON answer, else the answer).</summary>
internal sealed class EngineApiException(HttpStatusCode statusCode, string responseBody)
    : Exception($"The engine answered {(int)statusCode} {statusCode}: {responseBody.Trim()}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public string ResponseBody { get; } = responseBody;
}
