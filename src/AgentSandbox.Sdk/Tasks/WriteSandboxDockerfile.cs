using AgentSandbox.Image;
using AgentSandbox.Logging;
using AgentSandbox.Project;
using AgentSandbox.Spec;
using Microsoft.Build.Framework;

namespace AgentSandbox.Tasks;

/// <summary>Writes the sandbox's Dockerfile and build context from the project's metadata, for users to read and the image step to build.</summary>
public sealed class WriteSandboxDockerfile : AgentSandboxTask
{
    [Required] public string ProjectName { get; set; } = "";
    [Required] public string ProjectDirectory { get; set; } = "";
    [Required] public string ContextDirectory { get; set; } = "";
    public string? TargetFrameworks { get; set; }
    public string? HostSdkVersion { get; set; }
    public string? BaseImage { get; set; }
    public string? AgentKind { get; set; }
    public string? AgentVersion { get; set; }
    public ITaskItem[]? SystemPackages { get; set; }
    public ITaskItem[]? CaCertificates { get; set; }
    public string? User { get; set; }
    public string? AgentCommand { get; set; }
    public string? AgentInstallCommand { get; set; }

    [Output] public string ImageTag { get; private set; } = "";
    [Output] public string ResolvedBaseImage { get; private set; } = "";
    [Output] public string DockerfilePath { get; private set; } = "";

    protected override Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        var project = new ProjectMetadata(
            ProjectName,
            ProjectDirectory,
            (TargetFrameworks ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            GlobalJson.FindSdkVersion(ProjectDirectory),
            HostSdkVersion);
        var spec = SandboxImageSpecFactory.Create(project, new SandboxImageInputs(BaseImage, AgentKind, AgentVersion, Specs(SystemPackages), Specs(CaCertificates), AgentCommand, AgentInstallCommand), HostUser.Resolve(User));
        var context = SandboxBuildContext.FromSpec(spec);
        context.WriteTo(ContextDirectory);

        ImageTag = context.ImageTag;
        ResolvedBaseImage = spec.BaseImage;
        DockerfilePath = Path.Combine(ContextDirectory, SandboxBuildContext.Dockerfile);
        log.Info($"Sandbox Dockerfile for {ProjectName}: {DockerfilePath} (base {spec.BaseImage}, {spec.Agent.Describe(spec.AgentVersion)}, image {ImageTag}).");
        return Task.CompletedTask;
    }
}
