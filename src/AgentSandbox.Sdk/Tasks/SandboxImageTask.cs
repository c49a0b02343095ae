using AgentSandbox.Image;
using AgentSandbox.Inputs;
using AgentSandbox.Logging;
using AgentSandbox.Project;
using AgentSandbox.Spec;

namespace AgentSandbox.Tasks;

/// <summary>What every task that makes the sandbox image shares: its inputs as the library's, and the written build context.</summary>
public abstract partial class SandboxImageTask : AgentSandboxTask
{
    /// <summary>ProjectName, or the project directory's name.</summary>
    private string DisplayName => ProjectName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(ProjectDirectory));

    internal SandboxInputs ImageInputs() => new()
    {
        ProjectDirectory = Path.GetFullPath(ProjectDirectory),
        ProjectFile = ProjectFile,
        ProjectName = DisplayName,
        TargetFrameworks = (TargetFrameworks ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        HostSdkVersion = HostSdkVersion,
        BaseImage = BaseImage,
        AgentKind = AgentKind,
        AgentVersion = AgentVersion,
        AgentCommand = AgentCommand,
        AgentInstallCommand = AgentInstallCommand,
        SystemPackages = Specs(SystemPackages),
        CaCertificateFiles = Specs(CaCertificates),
        User = User,
        Engine = Engine,
        KubernetesNamespace = KubernetesNamespace,
        KubernetesContext = KubernetesContext,
    };

    /// <summary>The one resolution of this task's inputs against the build's environment.</summary>
    internal (SandboxSpec Spec, IReadOnlyList<Errors.Warning> Warnings) Resolve(SandboxInputs inputs, CancellationToken cancellationToken = default) =>
        SandboxSpecFactory.Create(inputs, Environment.GetEnvironmentVariable, HostUser.Current(), NewRunIdentity(), (cluster, secret) =>
        {
            using var pods = Kubernetes.KubernetesEngine.Connect(cluster.Namespace, cluster.Context);
            return pods.SecretKeysAsync(secret, cancellationToken).GetAwaiter().GetResult();
        });

    /// <summary>Writes the image's build context for users to read (unchanged files are not rewritten) and sets the outputs.</summary>
    /// <param name="important">Whether the Dockerfile's path is what the user asked for, and so shown at the default verbosity.</param>
    internal SandboxBuildContext WriteContext(SandboxSpec spec, ISandboxLog log, bool important = false)
    {
        var context = SandboxBuildContext.FromSpec(spec.Image);
        var directory = Path.GetFullPath(ContextDirectory);
        // An agent could reach the project (and, in a run, the workspace): nothing it planted on the way is followed.
        context.WriteTo(directory, spec.Run?.WorkspaceRoot ?? Path.GetFullPath(ProjectDirectory));
        ResolvedBaseImage = spec.Image.BaseImage;
        DockerfilePath = Path.Combine(directory, SandboxBuildContext.Dockerfile);
        var message = $"Sandbox Dockerfile for {DisplayName}: {DockerfilePath} (base {spec.Image.BaseImage}, {spec.Image.Agent.Describe(spec.Image.AgentVersion)}).";
        if (important)
        {
            log.Important(message);
        }
        else
        {
            log.Info(message);
        }
        return context;
    }
}
