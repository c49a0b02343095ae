using AgentSandbox.Docker;
using AgentSandbox.Logging;
using AgentSandbox.Run;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Presets;

/// <summary>
/// Runs a target's spec: one agent run for AgentRun, AgentRefactor, AgentTest and AgentReview (their policy lives in
/// the run's steps), and AgentFix's rounds of sandbox build and agent run until the build is clean.
/// </summary>
internal static class PresetRunner
{
    /// <param name="copy">Copy mode: the workspace as the sandbox holds it; null to mount the user's tree.</param>
    /// <param name="before">Mount mode: the workspace as the caller has just taken it; null to take it here.</param>
    public static Task<AgentRunResult> RunAsync(
        AgentRunSpec spec, string imageTag, IContainerEngine engine, ISandboxLog log, CancellationToken cancellationToken,
        WorkspaceCopy? copy = null, Checkpoint? checkpoint = null, WorkspaceSnapshot? before = null) =>
        spec.Preset.Kind == AgentPreset.Fix
            ? new FixLoop(AgentRunner.Default).RunAsync(spec, imageTag, engine, log, cancellationToken, copy, checkpoint, before)
            : AgentRunner.Default.RunAsync(spec, imageTag, engine, log, cancellationToken, copy, before, checkpoint);
}
