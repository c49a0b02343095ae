using AgentSandbox.Docker;
using AgentSandbox.Logging;
using AgentSandbox.Run;
using AgentSandbox.Spec;

namespace AgentSandbox.Presets;

/// <summary>
/// Runs a target's spec: one agent run for AgentRun, AgentRefactor, AgentTest and AgentReview (their policy lives in
/// the run's steps), and AgentFix's rounds of sandbox build and agent run until the build is clean.
/// </summary>
internal static class PresetRunner
{
    public static Task<AgentRunResult> RunAsync(AgentRunSpec spec, string imageTag, IContainerEngine engine, ISandboxLog log, CancellationToken cancellationToken) =>
        spec.Preset.Kind == AgentPreset.Fix
            ? new FixLoop(AgentRunner.Default).RunAsync(spec, imageTag, engine, log, cancellationToken)
            : AgentRunner.Default.RunAsync(spec, imageTag, engine, log, cancellationToken);
}
