using System.Security.Cryptography;
using System.Text;
using AgentSandbox.Common;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Run;

/// <summary>
/// What a run's outcome depends on, as one hash: the agent's whole command line (the CLI, its settings, the prompt as
/// the agent gets it: the preset's template around the task and scope), the preset's settings, the agent and its
/// version, the names of the variables the agent and the builds get (never their values, which may be secrets), its network, the
/// sandbox image (its tag is a hash of the build context and the base image's ID), the workspace mode, and the content
/// of the files the run depends on: every file of the workspace (build output and tool state aside), or, for a preset
/// that only reads (no verifying build), the files its scope names.
/// A preset whose key is that of its last successful run is not run again (AgentForce runs it anyway). Content, not
/// timestamps: a checkout or a restore touches files without changing them, which is why MSBuild's Inputs and Outputs
/// over a stamp file would run it again for nothing.
/// </summary>
internal static class RunCacheKey
{
    /// <summary>Changes when what goes into the key changes, so that no key of an older package matches.</summary>
    private const string Version = "2";

    public static string Of(AgentRunSpec spec, string imageTag, IEnumerable<TreeEntry> workspace)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string? text)
        {
            var bytes = Encoding.UTF8.GetBytes(text ?? "\u0001");
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        var preset = spec.Preset;
        foreach (var part in (string?[])[
            Version, spec.TargetName, preset.Kind.ToString(), spec.Invocation.Prompt, preset.Verify.ToString(),
            preset.MaxIterations.ToString(System.Globalization.CultureInfo.InvariantCulture), preset.FailOn.ToString(), preset.Scope,
            string.Join("\n", preset.TestProjects.Select(test => test.Path)),
            spec.Agent.Kind, spec.Invocation.Version.ToNormalizedString(), string.Join("\n", spec.Command),
            string.Join("\n", spec.Environment.Names.Order(StringComparer.Ordinal)), string.Join("\n", spec.BuildEnvironment.Names.Order(StringComparer.Ordinal)),
            spec.Network, imageTag, spec.Policy.Mode.ToString()])
        {
            Add(part);
        }
        var inScope = InScope(spec);
        foreach (var entry in workspace.Where(entry => inScope(entry.Path)).OrderBy(entry => entry.Path, StringComparer.Ordinal))
        {
            Add(entry.Path);
            Add(entry.IsLink ? "link" : entry.Executable ? "executable" : "file");
            Add(entry.Digest);
        }
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>
    /// Which workspace paths the run depends on. A verifying build or test reads the whole workspace, and so does an
    /// unscoped preset; a scoped one that only reads (AgentReview) depends on its scope's files alone.
    /// </summary>
    private static Func<string, bool> InScope(AgentRunSpec spec)
    {
        var scope = Lists.Split(spec.Preset.Scope);
        if (scope.Count == 0 || spec.Preset.Verify != VerifyMode.None)
        {
            return _ => true;
        }
        return path =>
        {
            var fromProject = Path.GetRelativePath(spec.ProjectDirectory, Path.Combine(spec.WorkspaceRoot, path)).Replace('\\', '/');
            return scope.Any(entry => FilePattern.Covers(entry, fromProject));
        };
    }
}
