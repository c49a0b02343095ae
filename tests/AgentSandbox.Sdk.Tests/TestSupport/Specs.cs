using AgentSandbox.Inputs;
using AgentSandbox.Project;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>Specs made the way the tasks make them (through the one factory), with everything but the varied part defaulted.</summary>
internal static class Specs
{
    public static readonly HostUser User1000 = new(1000, 1000);
    public static readonly HostUser Root = new(0, 0);
    public static readonly RunIdentity Identity = new("0.1.0-test", "test-session", "test-run");

    /// <summary>A temp-free project directory: only CA certificate and prompt file paths are resolved against it.</summary>
    public static readonly string SomeProjectDirectory = Path.Combine(Path.GetTempPath(), "agentsandbox-tests-project");

    public static readonly Func<string, string?> WithKey = name => name is "ANTHROPIC_API_KEY" or "GEMINI_API_KEY" or "OPENAI_API_KEY" ? "sk-fake-key" : null;

    /// <summary>The image inputs of a net8.0 project; <c>with</c> varies them.</summary>
    public static SandboxInputs Project(string? projectDirectory = null, string[]? targetFrameworks = null, string? hostSdkVersion = "10.0.100") => new()
    {
        ProjectDirectory = projectDirectory ?? SomeProjectDirectory,
        ProjectName = "App",
        TargetFrameworks = targetFrameworks ?? ["net8.0"],
        HostSdkVersion = hostSdkVersion,
    };

    /// <summary>
    /// An agent target's inputs: AgentRun with a prompt unless told otherwise, on the unfiltered bridge network (the
    /// allowlist's own tests say so, and its proxy needs the published program, which the unit tests do not have).
    /// </summary>
    public static SandboxInputs Run(string projectDirectory, string? prompt = "Do it", string target = "AgentRun") =>
        Project(projectDirectory) with { Target = target, Prompt = prompt, Network = "bridge" };

    /// <param name="secretKeys">The keys each Secret of the cluster holds, for AgentKubernetesSecret.</param>
    public static (SandboxSpec Spec, IReadOnlyList<Errors.Warning> Warnings) Create(SandboxInputs inputs, Func<string, string?>? host = null, HostUser? user = null,
        IReadOnlyDictionary<string, string[]>? secretKeys = null) =>
        SandboxSpecFactory.Create(inputs, host ?? WithKey, user ?? User1000, Identity,
            (_, secret) => secretKeys?.GetValueOrDefault(secret) ?? throw new Errors.AgentSandboxException("AGS1020", $"no Secret {secret} in this test"));

    public static SandboxImageSpec Image(SandboxInputs? inputs = null, HostUser? user = null) => Create(inputs ?? Project(), user: user).Spec.Image;

    public static AgentRunSpec RunSpec(SandboxInputs inputs, Func<string, string?>? host = null, HostUser? user = null) => Create(inputs, host, user).Spec.Run!;

    public static AgentRunSpec Minimal(string projectDirectory, string prompt = "Do it", string? agentKind = null) =>
        RunSpec(Run(projectDirectory, prompt) with { AgentKind = agentKind });
}
