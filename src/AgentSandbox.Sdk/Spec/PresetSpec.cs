using AgentSandbox.Review;

namespace AgentSandbox.Spec;

/// <summary>The targets that run an agent: AgentRun takes the prompt as given, the presets wrap it in a template and a policy.</summary>
internal enum AgentPreset
{
    Run,
    Refactor,
    Test,
    Fix,
    Review,
}

/// <summary>What is checked inside the sandbox after the agent ran (AgentVerify).</summary>
internal enum VerifyMode
{
    None,
    Build,
    Test,
}

/// <summary>The preset a run belongs to, and its policy.</summary>
/// <param name="Task">The user's AgentPrompt (or AgentPromptFile text); null means the preset's default task.</param>
/// <param name="Scope">AgentRefactorScope / AgentTestScope: files or globs; null means the whole project.</param>
/// <param name="ProjectFileName">The project file, relative to the workspace root, for builds inside the sandbox.</param>
internal sealed record PresetSpec(
    AgentPreset Kind,
    string? Task,
    string? Scope,
    VerifyMode Verify,
    int MaxIterations,
    ReviewFailOn FailOn,
    string ProjectFileName)
{
    public const int DefaultMaxIterations = 3;

    /// <summary>
    /// Test mode: the test projects that cover the project (AgentTestProject items, else those found in the
    /// workspace), relative to the workspace root; empty to test the project (or solution) itself.
    /// </summary>
    public IReadOnlyList<Project.TestedProject> TestProjects { get; init; } = [];

    /// <summary>A review only reads: the project is mounted read-only, so the files stay as they were.</summary>
    public bool ReadOnlyWorkspace => Kind == AgentPreset.Review;
}
