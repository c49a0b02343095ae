using AgentSandbox.Docker;
using AgentSandbox.Image;
using AgentSandbox.Logging;
using Microsoft.Build.Framework;

namespace AgentSandbox.Tasks;

/// <summary>Builds the sandbox image from the generated context, unless an image with its tag exists already.</summary>
public sealed class BuildSandboxImage : AgentSandboxTask
{
    [Required] public string ContextDirectory { get; set; } = "";
    [Required] public string BaseImage { get; set; } = "";
    public string? BuildNetwork { get; set; }
    public string? DockerHost { get; set; }

    [Output] public string ImageTag { get; private set; } = "";

    protected override async Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        var context = SandboxBuildContext.ReadFrom(ContextDirectory);
        using var engine = DockerEngine.Connect(DockerHost);
        await SandboxImageBuilder.EnsureAsync(engine, context, BaseImage, BuildNetwork, log, cancellationToken).ConfigureAwait(false);
        ImageTag = context.ImageTag;
    }
}
