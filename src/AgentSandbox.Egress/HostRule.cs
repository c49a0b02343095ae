using System.Globalization;

namespace AgentSandbox.Egress;

/// <summary>
/// One entry of the egress allowlist: a host name (api.nuget.org), a wildcard for the names under a domain
/// (*.example.com, which does not match example.com itself), or an IP address; with an optional port. Without a port
/// it allows 443 and 80. Compiled into both the proxy, which enforces it, and the tasks, which check it.
/// </summary>
internal sealed record HostRule(string Host, int? Port)
{
    private static readonly int[] DefaultPorts = [443, 80];

    public bool IsWildcard => Host.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>The rule for an AgentAllowedHost entry; null when the entry is not one (the caller reports it).</summary>
    public static HostRule? Parse(string? entry)
    {
        var text = entry?.Trim().ToLowerInvariant() ?? "";
        if (text.Length == 0 || text.Contains("://", StringComparison.Ordinal) || text.Contains('/'))
        {
            return null;
        }
        int? port = null;
        string host;
        if (text.StartsWith('['))
        {
            // [::1] or [::1]:8443
            var close = text.IndexOf(']');
            if (close < 0)
            {
                return null;
            }
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0 && !(rest.StartsWith(':') && TryPort(rest[1..], out port)))
            {
                return null;
            }
            return System.Net.IPAddress.TryParse(host, out _) ? new HostRule(host, port) : null;
        }
        var colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            if (text.IndexOf(':') != colon || !TryPort(text[(colon + 1)..], out port))
            {
                return null;
            }
            host = text[..colon];
        }
        else
        {
            host = text;
        }
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return name.Length > 0 && name.Length <= 253 && name.Split('.').All(IsLabel) ? new HostRule(host, port) : null;
    }

    /// <summary>Whether a connection to <paramref name="host"/> on <paramref name="port"/> is allowed by this rule.</summary>
    public bool Allows(string host, int port)
    {
        var name = Normalize(host);
        var hostMatches = IsWildcard
            ? name.EndsWith(Host[1..], StringComparison.Ordinal) && name.Length > Host.Length - 1
            : name == Host;
        return hostMatches && (Port is { } only ? port == only : DefaultPorts.Contains(port));
    }

    /// <summary>The entry as users write it: what a refused connection's warning suggests.</summary>
    public static string Suggest(string host, int port)
    {
        var name = Normalize(host);
        var shown = name.Contains(':') ? $"[{name}]" : name;
        return DefaultPorts.Contains(port) ? shown : $"{shown}:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    public override string ToString() =>
        Port is { } port ? $"{(Host.Contains(':') ? $"[{Host}]" : Host)}:{port.ToString(CultureInfo.InvariantCulture)}" : Host;

    private static string Normalize(string host) => host.Trim().TrimStart('[').TrimEnd(']').TrimEnd('.').ToLowerInvariant();

    private static bool TryPort(string text, out int? port)
    {
        port = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= 65535 ? value : null;
        return port is not null;
    }

    private static bool IsLabel(string label) =>
        label.Length is > 0 and <= 63 && label.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_') && label[0] != '-' && label[^1] != '-';
}
