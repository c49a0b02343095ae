using AgentSandbox.Docker;
using AgentSandbox.Image;
using AgentSandbox.Inputs;
using AgentSandbox.Logging;

namespace AgentSandbox.Tasks;

/// <summary>Builds the sandbox image from the generated context, unless an image with its tag exists already.</summary>
public sealed partial class BuildSandboxImage : AgentSandboxTask
{
    private protected override async Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        var context = SandboxBuildContext.ReadFrom(ContextDirectory);
        var settings = SandboxSpecFactory.CreateImageBuild(BuildNetwork, Environment.GetEnvironmentVariable);
        var engine = DockerEngine.Connect(DockerHost);
        (ImageTag, _) = await SandboxImageBuilder.EnsureAsync(engine, context, BaseImage, settings, NewRunIdentity().Labels, log, cancellationToken).ConfigureAwait(false);
    }
}
