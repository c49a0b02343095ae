using AgentSandbox.Project;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>Builds image specs the way the WriteSandboxDockerfile task does, with everything but the varied part defaulted.</summary>
public static class ImageSpecs
{
    public static readonly HostUser User1000 = new(1000, 1000);
    public static readonly HostUser Root = new(0, 0);

    /// <summary>A temp-free project directory: only CA certificate paths are resolved against it.</summary>
    public static readonly string SomeProjectDirectory = Path.Combine(Path.GetTempPath(), "agentsandbox-tests-project");

    public static ProjectMetadata Metadata(
        string[]? targetFrameworks = null,
        string? globalJsonSdkVersion = null,
        string? hostSdkVersion = "10.0.100",
        string? projectDirectory = null) =>
        new("App", projectDirectory ?? SomeProjectDirectory, targetFrameworks ?? ["net8.0"], globalJsonSdkVersion, hostSdkVersion);

    public static SandboxImageInputs Inputs(
        string? baseImage = null,
        string? agentKind = null,
        string? agentVersion = null,
        string[]? systemPackages = null,
        string[]? caCertificateFiles = null) =>
        new(baseImage, agentKind, agentVersion, systemPackages ?? [], caCertificateFiles ?? []);

    public static SandboxImageSpec Create(
        ProjectMetadata? project = null,
        SandboxImageInputs? inputs = null,
        HostUser? user = null) =>
        SandboxImageSpecFactory.Create(project ?? Metadata(), inputs ?? Inputs(), user ?? User1000);
}
