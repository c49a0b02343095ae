using System.Text;
using AgentSandbox.Common;
using AgentSandbox.Review;
using AgentSandbox.Spec;
using AgentSandbox.Verification;

namespace AgentSandbox.Presets;

/// <summary>
/// The prompt template of each preset: a fixed frame (where the project is, what must stay true, how to answer)
/// around a task that AgentPrompt overrides.
/// </summary>
internal static class PresetPrompts
{
    public static string DefaultTask(AgentPreset preset) => preset switch
    {
        AgentPreset.Refactor => "Improve the structure and readability of the code: clear names, small methods, no duplication, no dead code.",
        AgentPreset.Test => "Write unit tests for the code that has none yet, and extend the existing tests where cases are missing.",
        AgentPreset.Fix => "Fix the code so that the project builds without errors.",
        AgentPreset.Review => "Review the code for bugs, security problems, resource leaks, concurrency mistakes and unclear code.",
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "AgentRun has no default task"),
    };

    /// <param name="diagnostics">For AgentFix: the build's errors and warnings the agent is to fix.</param>
    public static string Compose(PresetSpec preset, IReadOnlyList<BuildDiagnostic>? diagnostics = null)
    {
        if (preset.Kind == AgentPreset.Run)
        {
            return preset.Task ?? throw new InvalidOperationException("AgentRun needs a prompt; the spec factory checks it.");
        }
        var projectFile = preset.ProjectFileName.Length > 0 ? $"{SandboxPaths.Workspace}/{preset.ProjectFileName}" : null;
        var project = projectFile ?? $"in {SandboxPaths.Workspace}";
        var build = projectFile is null ? "dotnet build" : $"dotnet build {projectFile}";
        var scope = Lists.Split(preset.Scope) is { Count: > 0 } entries ? string.Join(", ", entries) : "the whole project";
        var task = preset.Task ?? DefaultTask(preset.Kind);
        var prompt = new StringBuilder();
        switch (preset.Kind)
        {
            case AgentPreset.Refactor:
                prompt.AppendLine($"Refactor the .NET project {project}.");
                prompt.AppendLine($"Task: {task}");
                prompt.AppendLine($"Scope: {scope}. Change nothing outside it unless the refactoring requires it.");
                prompt.AppendLine("Keep the behaviour exactly as it is: the same public API, outputs and side effects. Add no packages.");
                prompt.AppendLine($"The project must still build afterwards: run `{build}` and fix what you broke.");
                break;
            case AgentPreset.Test:
                prompt.AppendLine($"Write or extend unit tests for the .NET project {project}.");
                prompt.AppendLine($"Task: {task}");
                prompt.AppendLine($"Code to cover: {scope}.");
                if (preset.TestProjects is { Count: > 0 } tests)
                {
                    var paths = tests.Select(test => $"{SandboxPaths.Workspace}/{test.Path}").ToList();
                    prompt.AppendLine($"The tests that cover it are in {string.Join(", ", paths)}: add to them with the test framework they use. Change production code only to fix a bug a test reveals, and say so.");
                    prompt.AppendLine($"The tests must pass: run {string.Join(" and ", paths.Select(path => $"`dotnet test {path}`"))} and fix what fails.");
                }
                else
                {
                    prompt.AppendLine("No test project covers it yet: create one beside it that references it (xunit unless the repository uses another test framework), and add it to the solution if there is one. Change production code only to fix a bug a test reveals, and say so.");
                    prompt.AppendLine("The tests must pass: run `dotnet test` on the test project and fix what fails.");
                }
                break;
            case AgentPreset.Fix:
                prompt.AppendLine($"The build of the .NET project {project} reports these problems:");
                foreach (var diagnostic in diagnostics ?? [])
                {
                    prompt.AppendLine($"- {diagnostic}");
                }
                prompt.AppendLine($"Task: {task}");
                prompt.AppendLine("Change as little as possible and keep the behaviour. Do not silence errors or warnings with pragmas, suppressions or project settings.");
                prompt.AppendLine($"Check your fix with `{build}`.");
                break;
            case AgentPreset.Review:
                prompt.AppendLine($"Review the .NET project {project}. The files are read-only: do not try to change them.");
                prompt.AppendLine($"Task: {task}");
                prompt.AppendLine($"Scope: {scope}.");
                prompt.AppendLine("Report each finding on a line of its own, exactly in this form and with nothing else on that line:");
                prompt.AppendLine(ReviewFindingParser.FindingFormat);
                prompt.AppendLine($"Use error for bugs and security problems, warning for likely problems, info for suggestions. End with a one-line summary; if there is nothing to report, say {ReviewFindingParser.NoFindings}.");
                break;
        }
        return prompt.ToString().TrimEnd();
    }
}
