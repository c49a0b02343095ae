using Microsoft.Build.Framework;

namespace AgentSandbox.Tasks;

public sealed partial class BuildSandboxImage
{
    /// <summary>The build context AgentSandboxDockerfile wrote: the image step builds exactly what users can read.</summary>
    [Required] public string ContextDirectory { get; set; } = "";

    /// <summary>The base image the Dockerfile starts from, pulled when the engine lacks it.</summary>
    [Required] public string BaseImage { get; set; } = "";

    /// <summary>AgentBuildNetwork: the network of the image's RUN steps (default, bridge, host, none).</summary>
    public string? BuildNetwork { get; set; }

    /// <summary>AgentDockerHost; empty for DOCKER_HOST, else the current Docker context.</summary>
    public string? DockerHost { get; set; }

    [Output] public string ImageTag { get; private set; } = "";
}
