using AgentSandbox.Agents;
using AgentSandbox.Project;
using NuGet.Versioning;

namespace AgentSandbox.Spec;

/// <summary>Everything that goes into a sandbox image; the image tag is a hash of what this produces.</summary>
/// <param name="BaseImage">The image the sandbox starts from (a .NET SDK image for .NET projects).</param>
/// <param name="SystemPackages">Extra OS packages, installed with the base image's package manager.</param>
/// <param name="CaCertificates">PEM certificates to trust (TLS-intercepting proxies), or null.</param>
/// <param name="User">The uid/gid the agent runs as; root means the agent runs as root.</param>
/// <param name="EnableWindowsTargeting">The project targets Windows: let the Linux SDK build it (it cannot run it).</param>
internal sealed record SandboxImageSpec(
    string BaseImage,
    IAgentProfile Agent,
    NuGetVersion AgentVersion,
    IReadOnlyList<string> SystemPackages,
    string? CaCertificates,
    HostUser User,
    bool EnableWindowsTargeting = false);
