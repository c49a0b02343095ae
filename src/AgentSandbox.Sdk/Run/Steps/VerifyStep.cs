using AgentSandbox.Project;
using AgentSandbox.Spec;
using AgentSandbox.Verification;
using AgentSandbox.Workspace;

namespace AgentSandbox.Run.Steps;

/// <summary>AgentVerify: after a successful agent run, the project must still build (or its tests pass) inside the sandbox.</summary>
internal sealed class VerifyStep : IAgentRunStep
{
    public async Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        // Refused changes are not built: the build would run what the check exists to stop.
        if (context.Spec.Preset.Verify != VerifyMode.None && context.AgentSucceeded && context.Refusals.Count == 0)
        {
            context.Verification = await SandboxBuild.RunAsync(
                WithTestsTheAgentWrote(context), context.ImageTag, context.Engine, context.Spec.Preset.Verify, context.Log, cancellationToken, context.Copy).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A project no test project covered before the run may have one now (AgentTest's task is to write tests): the
    /// test projects are looked for again in the agent's tree, the host's with the changeset over it in copy mode.
    /// </summary>
    private static AgentRunSpec WithTestsTheAgentWrote(AgentRunContext context)
    {
        var spec = context.Spec;
        var project = spec.Preset.ProjectFileName;
        if (spec.Preset.Verify != VerifyMode.Test || spec.Preset.TestProjects.Count > 0 || !TestProjects.IsProjectFile(project))
        {
            return spec;
        }
        var root = spec.WorkspaceRoot;
        var changes = (context.Changeset?.Entries ?? []).ToDictionary(entry => Path.GetFullPath(entry.Path, root), StringComparer.Ordinal);
        string? Read(string path) =>
            changes.TryGetValue(path, out var change) ? change.Change == FileChange.Deleted || change.StagedFile is null ? null : File.ReadAllText(change.StagedFile)
            : File.Exists(path) ? File.ReadAllText(path) : null;
        var candidates = TestProjects.InFolder(root).Concat(changes.Keys.Where(TestProjects.IsProjectFile)).Distinct(StringComparer.Ordinal).ToList();
        var found = TestProjects.Covering(Path.GetFullPath(project, root), candidates, root, Read);
        return found.Count > 0 ? spec with { Preset = spec.Preset with { TestProjects = found } } : spec;
    }
}
