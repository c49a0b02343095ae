namespace AgentSandbox.Spec;

/// <summary>Everything one target needs, resolved once from its inputs: the image, how to build it, and the run.</summary>
/// <param name="Run">The agent run; null for the targets that only make the image.</param>
/// <param name="StepSummaryFile">Where a CI job wants a Markdown summary (GitHub Actions' GITHUB_STEP_SUMMARY); null outside one.</param>
internal sealed record SandboxSpec(SandboxImageSpec Image, ImageBuildSettings ImageBuild, AgentRunSpec? Run, string? StepSummaryFile);

/// <summary>How the image is built; not part of the image, so not part of its tag.</summary>
/// <param name="Network">The network of RUN steps; null for the engine's default (AgentBuildNetwork default).</param>
/// <param name="ProxyArguments">The host's proxy settings, as Docker's predefined build arguments (they stay out of the image history).</param>
internal sealed record ImageBuildSettings(string? Network, IReadOnlyDictionary<string, string> ProxyArguments);
