using System.Text;

namespace AgentSandbox.Egress;

/// <summary>The start line and headers of an HTTP/1.x request or response, read off a stream up to the blank line.</summary>
internal sealed class HttpHead
{
    /// <summary>Heads bigger than this are refused: the proxy holds them in memory.</summary>
    public const int MaxBytes = 64 * 1024;

    private HttpHead(string startLine, List<KeyValuePair<string, string>> headers)
    {
        StartLine = startLine;
        Headers = headers;
        var parts = startLine.Split(' ', 3);
        (First, Second, Third) = (parts[0], parts.Length > 1 ? parts[1] : "", parts.Length > 2 ? parts[2] : "");
    }

    public string StartLine { get; }

    /// <summary>A request's method, or a response's version.</summary>
    public string First { get; }

    /// <summary>A request's target, or a response's status code.</summary>
    public string Second { get; }

    /// <summary>A request's version, or a response's reason.</summary>
    public string Third { get; }

    public List<KeyValuePair<string, string>> Headers { get; }

    public string? this[string name] =>
        Headers.FirstOrDefault(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public void Remove(string name) => Headers.RemoveAll(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase));

    public void Set(string name, string value)
    {
        Remove(name);
        Headers.Add(new(name, value));
    }

    /// <summary>Whether the connection closes after this message (HTTP/1.0 without keep-alive, or Connection: close).</summary>
    public bool Closes =>
        (this["Connection"] ?? "").Contains("close", StringComparison.OrdinalIgnoreCase)
        || (First == "HTTP/1.0" || Third == "HTTP/1.0") && !(this["Connection"] ?? "").Contains("keep-alive", StringComparison.OrdinalIgnoreCase);

    public byte[] ToBytes(string? startLine = null)
    {
        var text = new StringBuilder().Append(startLine ?? StartLine).Append("\r\n");
        foreach (var (name, value) in Headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }

    /// <summary>The next head on the stream; null when the stream ends before one starts.</summary>
    /// <exception cref="InvalidDataException">The head is malformed or too big.</exception>
    public static async Task<HttpHead?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(1024);
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                return bytes.Count == 0 ? null : throw new InvalidDataException("The connection ended inside a message head.");
            }
            bytes.Add(one[0]);
            if (bytes.Count > MaxBytes)
            {
                throw new InvalidDataException("The message head is larger than 64 KiB.");
            }
            if (one[0] == '\n' && bytes.Count >= 2 && (EndsWith(bytes, "\r\n\r\n") || EndsWith(bytes, "\n\n")))
            {
                break;
            }
            if (bytes.Count <= 2 && (EndsWith(bytes, "\r\n") || EndsWith(bytes, "\n")))
            {
                // Blank lines before a request are allowed (RFC 9112 2.2).
                bytes.Clear();
            }
        }
        var lines = Encoding.Latin1.GetString([.. bytes]).Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0).ToList();
        if (lines.Count == 0 || lines[0].Split(' ').Length < 2)
        {
            throw new InvalidDataException("The message's start line is malformed.");
        }
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || char.IsWhiteSpace(line[0]))
            {
                throw new InvalidDataException("A header line is malformed.");
            }
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return new HttpHead(lines[0], headers);
    }

    private static bool EndsWith(List<byte> bytes, string tail) =>
        bytes.Count >= tail.Length && Enumerable.Range(0, tail.Length).All(i => bytes[bytes.Count - tail.Length + i] == tail[i]);
}
