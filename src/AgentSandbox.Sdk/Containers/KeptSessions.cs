using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Logging;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Containers;

/// <summary>
/// AgentSessionsToKeep: a workspace keeps the session volumes (one per project and agent) used last, and the others go
/// when a run that kept one ends. The engine knows when a volume was made, not when a run last used it: the build
/// user's state folder, which no agent reaches, keeps that, one small file per workspace.
/// </summary>
internal static class KeptSessions
{
    /// <summary>When each kept session volume of a workspace was last used, by its name.</summary>
    private const string Folder = "sessions";

    public static async Task PruneAsync(AgentRunSpec spec, IContainerEngine engine, ISandboxLog log)
    {
        if (spec.Sessions is not { Discard: false } sessions)
        {
            return;
        }
        var usedAt = StateFolder.ReadJson(Folder, spec.KeptVolumesWorkspace, StateJson.Default.DictionaryStringDateTimeOffset) ?? [];
        usedAt[sessions.Volume] = DateTimeOffset.UtcNow;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var kept = (await engine.ListLabelledAsync(RunIdentity.CacheLabel, timeout.Token).ConfigureAwait(false))
                .Where(resource => resource.Kind == ResourceKind.Volume
                    && resource.Labels.GetValueOrDefault(RunIdentity.CacheLabel) == "session"
                    && resource.Labels.GetValueOrDefault(RunIdentity.WorkspaceLabel) == spec.KeptVolumesWorkspace)
                .OrderByDescending(volume => usedAt.GetValueOrDefault(volume.Name))
                .ToList();
            foreach (var stale in kept.Skip(sessions.ToKeep))
            {
                try
                {
                    await engine.RemoveAsync(stale, timeout.Token).ConfigureAwait(false);
                    log.Info($"{spec.Label}: removed the kept session {stale.Name}, used less lately than the {sessions.ToKeep} AgentSessionsToKeep keeps.");
                }
                catch (AgentSandboxException inUse)
                {
                    // A run beside this one is using it: it stays until a later run prunes again.
                    log.Info($"{spec.Label}: the kept session {stale.Name} stays for now ({inUse.Message}).");
                }
            }
            usedAt = kept.Take(sessions.ToKeep).ToDictionary(volume => volume.Name, volume => usedAt.GetValueOrDefault(volume.Name));
        }
        catch (Exception failure) when (failure is AgentSandboxException or OperationCanceledException)
        {
            log.Info($"{spec.Label}: kept sessions were not pruned ({failure.Message}); the next run prunes them, AgentSandboxClean removes them.");
        }
        StateFolder.WriteJson(Folder, spec.KeptVolumesWorkspace, usedAt, StateJson.Default.DictionaryStringDateTimeOffset);
    }
}
