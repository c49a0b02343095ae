using System.Text;

namespace AgentSandbox.Common;

/// <summary>
/// Cuts a byte stream into UTF-8 lines, also when a character or a line spans reads. A line longer than
/// <see cref="MaxLineLength"/> is cut there with a note, so that no output, however long, fills the build's memory.
/// </summary>
internal sealed class LineSplitter(Action<string> onLine)
{
    public const int MaxLineLength = 1024 * 1024;

    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private readonly StringBuilder _line = new();
    private long _dropped;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[1024];
        while (!bytes.IsEmpty)
        {
            var take = Math.Min(bytes.Length, 1024);
            _decoder.Convert(bytes[..take], chars, flush: false, out var used, out var produced, out _);
            bytes = bytes[used..];
            foreach (var c in chars[..produced])
            {
                if (c == '\n')
                {
                    Emit();
                }
                else if (_line.Length < MaxLineLength)
                {
                    _line.Append(c);
                }
                else
                {
                    _dropped++;
                }
            }
        }
    }

    public void Flush()
    {
        if (_line.Length > 0)
        {
            Emit();
        }
    }

    private void Emit()
    {
        var line = _line.ToString().TrimEnd('\r');
        onLine(_dropped == 0 ? line : $"{line} [AgentSandbox cut this line here: {_dropped.ToString(System.Globalization.CultureInfo.InvariantCulture)} more characters]");
        _line.Clear();
        _dropped = 0;
    }
}
