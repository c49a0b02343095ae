using System.Globalization;
using System.Text;

namespace AgentSandbox.Egress;

/// <summary>
/// A request body read off the client's connection: exactly Content-Length bytes, or the chunks of a chunked body
/// decoded, and not a byte more, so that the next request on the connection starts where it should.
/// </summary>
internal sealed class BodyStream(Stream connection, long? length) : Stream
{
    private long _remaining = length ?? 0;
    private bool _done = length == 0;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_done)
        {
            return 0;
        }
        if (_remaining == 0 && length is null)
        {
            _remaining = await ReadChunkSizeAsync(cancellationToken).ConfigureAwait(false);
            if (_remaining == 0)
            {
                // The last chunk: skip trailers up to the blank line.
                while ((await ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length > 0)
                {
                }
                _done = true;
                return 0;
            }
        }
        var read = await connection.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new IOException("The connection ended inside a request body.");
        }
        _remaining -= read;
        if (_remaining == 0)
        {
            if (length is null)
            {
                await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _done = true;
            }
        }
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    private async Task<long> ReadChunkSizeAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        var size = line.Split(';')[0].Trim();
        return long.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new InvalidDataException("A chunk size is malformed.");
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await connection.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 1)
        {
            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }
            if (line.Length > 4096)
            {
                throw new InvalidDataException("A chunk line is too long.");
            }
            line.Append((char)one[0]);
        }
        throw new IOException("The connection ended inside a chunked body.");
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
