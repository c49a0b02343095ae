using System.Buffers.Binary;
using System.IO.Pipes;
using System.Net.Sockets;

namespace AgentSandbox.Docker;

/// <summary>
/// A process's input and output through an attached or exec'd connection: without a terminal the engine sends its
/// output in frames (a byte naming stdout or stderr, three zero bytes, a 32-bit big-endian length, the bytes), and
/// takes what is written as its input; closing the sending half ends that input.
/// </summary>
internal sealed class EngineStream(EngineConnection.EngineResponse response) : IDisposable
{
    private readonly byte[] _header = new byte[8];
    private int _left;
    private bool _toStderr;

    /// <summary>The next piece of output: how many bytes, and whether they are stderr's; 0 bytes at the end.</summary>
    public async Task<(int Count, bool Stderr)> ReadOutputAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (_left == 0)
        {
            if (!await FillAsync(_header, cancellationToken).ConfigureAwait(false))
            {
                return (0, false);
            }
            // 0 stdin (echoed), 1 stdout, 2 stderr, 3 the engine's own error about the stream.
            _toStderr = _header[0] is 2 or 3;
            var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
            _left = length <= int.MaxValue ? (int)length : throw new EngineProtocolException($"a frame of a process's output claims {length} bytes");
        }
        var read = await response.Body.ReadAsync(buffer[..Math.Min(buffer.Length, _left)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new IOException("The engine closed a process's output in the middle of a frame.");
        }
        _left -= read;
        return (read, _toStderr);
    }

    /// <summary>
    /// Standard output, for short processes whose output is all that matters: its first <paramref name="limit"/> bytes,
    /// the rest read and dropped (the process runs in a container an agent may have changed, and may print without end).
    /// </summary>
    public async Task<string> ReadStdoutToEndAsync(int limit, CancellationToken cancellationToken)
    {
        var stdout = new MemoryStream();
        var buffer = new byte[8192];
        while (await ReadOutputAsync(buffer, cancellationToken).ConfigureAwait(false) is { Count: > 0 } read)
        {
            if (!read.Stderr && stdout.Length < limit)
            {
                stdout.Write(buffer, 0, (int)Math.Min(read.Count, limit - stdout.Length));
            }
        }
        return System.Text.Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length);
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => response.Connection.WriteAsync(bytes, cancellationToken);

    /// <summary>Ends the process's input; its output still comes.</summary>
    public void CloseWrite()
    {
        if (response.Socket is { } socket)
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        else if (response.Connection is PipeStream pipe)
        {
            EngineConnection.EndPipeInput(pipe);
        }
    }

    /// <returns>False at a clean end, between frames.</returns>
    private async Task<bool> FillAsync(byte[] header, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < header.Length)
        {
            var read = await response.Body.ReadAsync(header.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return filled == 0 ? false : throw new IOException("The engine closed a process's output in the middle of a frame's header.");
            }
            filled += read;
        }
        return true;
    }

    public void Dispose() => response.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
