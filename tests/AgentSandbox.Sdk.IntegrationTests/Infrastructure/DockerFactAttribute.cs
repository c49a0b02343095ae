using AgentSandbox.Docker;

namespace AgentSandbox.Sdk.IntegrationTests.Infrastructure;

/// <summary>
/// A test that needs a Docker engine and the local base image. Skipped with the reason when they are missing on a
/// developer's machine; run (and so failed) instead when AGENTSANDBOX_REQUIRE_DOCKER=1, as in CI.
/// </summary>
public sealed class DockerFactAttribute : FactAttribute
{
    public DockerFactAttribute() => Skip = TestDocker.SkipReason(TestDocker.Unavailable);
}

/// <summary>A <see cref="DockerFactAttribute"/> with data: skipped or failed the same way.</summary>
public sealed class DockerTheoryAttribute : TheoryAttribute
{
    public DockerTheoryAttribute() => Skip = TestDocker.SkipReason(TestDocker.Unavailable);
}

public static class TestDocker
{
    /// <summary>A local image with a shell and apt (made by .ci/run from debootstrap); no registry is needed.</summary>
    public static string BaseImage { get; } = Environment.GetEnvironmentVariable("AGENTSANDBOX_TEST_BASE_IMAGE") is { Length: > 0 } image
        ? image
        : "agentsandbox-test/bookworm:latest";

    /// <summary>A local stand-in for mcr.microsoft.com/dotnet/sdk (debootstrap plus the host's dotnet folder, made by .ci/run).</summary>
    public static string SdkImage { get; } = Environment.GetEnvironmentVariable("AGENTSANDBOX_TEST_SDK_IMAGE") is { Length: > 0 } image
        ? image
        : "agentsandbox-test/dotnet-sdk:10.0";

    public static bool Required => Environment.GetEnvironmentVariable("AGENTSANDBOX_REQUIRE_DOCKER") == "1";

    /// <summary>Why a test that needs what is missing is skipped; null to run it (nothing missing, or CI requires it: it fails instead).</summary>
    public static string? SkipReason(string? missing) =>
        missing is null || Required ? null : missing + " (set AGENTSANDBOX_REQUIRE_DOCKER=1 to fail instead of skipping)";

    private static readonly Lazy<string?> Probe = new(() =>
    {
        try
        {
            var engine = DockerEngine.Connect(null);
            var missing = new[] { BaseImage, SdkImage }.FirstOrDefault(image => engine.InspectImageAsync(image, CancellationToken.None).GetAwaiter().GetResult() is null);
            return missing is null ? null : $"The test image {missing} is missing: run .ci/run once, which makes it";
        }
        catch (Exception exception)
        {
            return "No Docker engine: " + exception.Message;
        }
    });

    /// <summary>Null when Docker tests can run; otherwise why not.</summary>
    public static string? Unavailable => Probe.Value;
}
