using System.Collections.Concurrent;
using AgentSandbox.Egress;
using AgentSandbox.Errors;
using AgentSandbox.Logging;

namespace AgentSandbox.Containers;

/// <summary>
/// What one run's egress proxies decided, from the lines they print: which hosts they refused, and which requests
/// came to a credential route without the run's token. Reported once the containers have ended.
/// </summary>
internal sealed class EgressRecord
{
    private readonly ConcurrentDictionary<(string Host, int Port), int> _refused = new();
    private readonly ConcurrentDictionary<(string Host, int Port), int> _tokenless = new();
    private readonly ConcurrentDictionary<(string Host, int Port), int> _allowed = new();

    /// <summary>Takes one line of a proxy's output; lines that are not its events are ignored.</summary>
    public void Observe(string line)
    {
        if (EgressEvent.TryParse(line) is not { Host: { } host, Port: { } port } egressEvent)
        {
            return;
        }
        var counts = egressEvent.Event switch
        {
            EgressEvent.Refused => _refused,
            EgressEvent.Unauthorized => _tokenless,
            EgressEvent.Allowed => _allowed,
            _ => null,
        };
        counts?.AddOrUpdate((host.ToLowerInvariant(), port), 1, (_, count) => count + 1);
    }

    /// <summary>host:port of each connection let through, for the detailed log.</summary>
    public IReadOnlyList<string> Allowed => _allowed.Keys.Select(key => $"{key.Host}:{key.Port}").Order(StringComparer.Ordinal).ToList();

    /// <summary>What the proxies let through (detailed log) and refused (a warning per host, with the line that allows it).</summary>
    public void Report(string label, ISandboxLog log)
    {
        if (Allowed.Count > 0)
        {
            log.Detail($"{label}: the egress proxy let through connections to {string.Join(", ", Allowed)}.");
        }
        foreach (var warning in Warnings(label))
        {
            log.Warn(warning);
        }
    }

    /// <summary>One warning per refused host, with the line that allows it, and one per API a tokenless caller tried.</summary>
    public IReadOnlyList<Warning> Warnings(string label) =>
    [
        .. _refused.GroupBy(entry => HostRule.Suggest(entry.Key.Host, entry.Key.Port)).OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => Diagnostics.HostRefused(label, group.Key, group.Sum(entry => entry.Value), group.Key)),
        .. _tokenless.OrderBy(entry => entry.Key.Host, StringComparer.Ordinal)
            .Select(entry => Diagnostics.TokenlessCaller(label, entry.Key.Host, entry.Value)),
    ];
}
