using AgentSandbox.Docker;
using AgentSandbox.Logging;
using AgentSandbox.Spec;

namespace AgentSandbox.Containers;

/// <summary>
/// What builds that no longer run left on the engine: a build killed outright (SIGKILL, a crashed CI runner) cannot
/// remove its containers, proxy and networks, so the next run on the same machine does. Only resources with our labels
/// are looked at, and only those made on this machine by a process that is gone (its id free, or taken by a process
/// started at another time); a resource without those labels is never touched here.
/// </summary>
internal static class Orphans
{
    /// <returns>How many containers, networks and volumes (secrets, on a cluster) were removed.</returns>
    public static async Task<int> SweepAsync(IContainerEngine engine, ISandboxLog log, CancellationToken cancellationToken)
    {
        var orphans = (await engine.ListLabelledAsync(RunIdentity.VersionLabel, cancellationToken).ConfigureAwait(false))
            .Where(resource => IsOrphan(resource, RunIdentity.Owner.Host, RunIdentity.StartOf))
            .ToList();
        // Containers first: a network goes only once nothing is on it.
        foreach (var resource in orphans.OrderBy(resource => resource.Kind))
        {
            await engine.RemoveAsync(resource, cancellationToken).ConfigureAwait(false);
        }
        if (orphans.Count > 0)
        {
            var runs = orphans.Select(resource => resource.Labels.GetValueOrDefault(RunIdentity.LabelPrefix + "run")).OfType<string>().Distinct().Order(StringComparer.Ordinal);
            var counts = new[] { ResourceKind.Container, ResourceKind.Volume, ResourceKind.Secret, ResourceKind.Network }
                .Select(kind => (Kind: kind, Count: orphans.Count(r => r.Kind == kind))).Where(kind => kind.Count > 0).Select(kind => engine.Count(kind.Kind, kind.Count)).ToList();
            log.Important($"Removed {(counts.Count > 1 ? string.Join(", ", counts[..^1]) + " and " + counts[^1] : counts[0])} " +
                $"that builds no longer running left behind (runs {string.Join(", ", runs)}).");
        }
        return orphans.Count;
    }

    /// <summary>
    /// Waits for a sweep that ran beside a run. Its failure is not the run's: an engine that is gone fails the run on
    /// its own, and what could not be removed now the next run tries again.
    /// </summary>
    public static async Task SettleAsync(Task sweep, ISandboxLog log)
    {
        try
        {
            await sweep.ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is Errors.AgentSandboxException or OperationCanceledException)
        {
            log.Info($"What builds no longer running left behind was not all removed ({failure.Message}); the next run tries again.");
        }
    }

    /// <summary>Made on <paramref name="host"/> by a process that is no longer there.</summary>
    /// <param name="startOf">The start time of a running process, as the labels write it; null when none has that id.</param>
    internal static bool IsOrphan(EngineResource resource, string host, Func<int, string?> startOf) =>
        // Volumes too: a cache carries no process, a run's own (the proxy's sockets) does.
        resource.Kind is ResourceKind.Container or ResourceKind.Network or ResourceKind.Volume or ResourceKind.Secret
        && resource.Labels.TryGetValue(RunIdentity.HostLabel, out var madeOn) && madeOn == host
        && resource.Labels.TryGetValue(RunIdentity.ProcessLabel, out var pid) && int.TryParse(pid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var processId)
        && resource.Labels.TryGetValue(RunIdentity.ProcessStartLabel, out var started)
        && !RunIdentity.SameStart(started, startOf(processId));
}
