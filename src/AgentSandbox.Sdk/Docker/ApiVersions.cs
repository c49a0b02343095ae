using AgentSandbox.Errors;

namespace AgentSandbox.Docker;

/// <summary>
/// Negotiates the Engine API version the way the docker CLI does: the engine's own version, capped at the newest
/// this client knows, and refused when that falls outside what either side serves.
/// </summary>
internal static class ApiVersions
{
    /// <summary>Engine 20.10, the oldest engine with everything the sandbox uses (init, pids limit, build network modes).</summary>
    public static readonly Version Oldest = new(1, 41);

    /// <summary>The newest API asked for (Engine 29): the few fields the engine client writes and reads are the same from 1.41 on.</summary>
    public static readonly Version Newest = new(1, 52);

    public static Version Negotiate(string endpoint, string? engineVersion, string? engineMinimum)
    {
        if (!Version.TryParse(engineVersion, out var engineMax))
        {
            throw Diagnostics.EngineApiUnsupported(endpoint, $"'{engineVersion}' (unreadable)", Range(Oldest, Newest));
        }
        var chosen = engineMax < Newest ? engineMax : Newest;
        // Engines that do not report a minimum predate API 1.25 and fail the Oldest check anyway.
        var engineMin = Version.TryParse(engineMinimum, out var parsed) ? parsed : chosen;
        if (chosen < Oldest || chosen < engineMin)
        {
            throw Diagnostics.EngineApiUnsupported(endpoint, Range(engineMin, engineMax), Range(Oldest, Newest));
        }
        return chosen;
    }

    private static string Range(Version from, Version to) => $"{from}–{to}";
}
