using AgentSandbox.Inputs;
using AgentSandbox.Project;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>Image specs from project metadata and image inputs, the way the factory makes them once it has read global.json.</summary>
internal static class ImageSpecs
{
    public static readonly HostUser User1000 = Specs.User1000;
    public static readonly HostUser Root = Specs.Root;

    public static ProjectMetadata Metadata(
        string[]? targetFrameworks = null,
        string? globalJsonSdkVersion = null,
        string? hostSdkVersion = "10.0.100",
        string? projectDirectory = null) =>
        new("App", projectDirectory ?? Specs.SomeProjectDirectory, targetFrameworks ?? ["net8.0"], globalJsonSdkVersion, hostSdkVersion);

    public static SandboxInputs ImageInputs(
        string? baseImage = null,
        string? agentKind = null,
        string? agentVersion = null,
        string[]? systemPackages = null,
        string[]? caCertificateFiles = null) =>
        Specs.Project() with
        {
            BaseImage = baseImage,
            AgentKind = agentKind,
            AgentVersion = agentVersion,
            SystemPackages = systemPackages ?? [],
            CaCertificateFiles = caCertificateFiles ?? [],
        };

    public static SandboxImageSpec Create(ProjectMetadata? project = null, SandboxInputs? inputs = null, HostUser? user = null) =>
        SandboxSpecFactory.CreateImage(project ?? Metadata(), inputs ?? ImageInputs(), user ?? User1000);
}
