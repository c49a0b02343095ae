using System.Formats.Tar;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Image;
using AgentSandbox.Inputs;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The image step against the fake engine, and how AgentBuildNetwork is read.</summary>
public sealed class SandboxImageBuilderTests
{
    private readonly FakeEngine _engine = new();
    private readonly RecordingLog _log = new();
    private static readonly SandboxBuildContext Context = SandboxBuildContext.FromSpec(ImageSpecs.Create());
    private static readonly ImageBuildSettings Settings = new("host", new Dictionary<string, string> { ["HTTPS_PROXY"] = "http://proxy:3128" });

    private async Task<string> Ensure() =>
        (await SandboxImageBuilder.EnsureAsync(_engine, Context, "base:1", Settings, Specs.Identity.Labels, _log, CancellationToken.None)).Tag;

    private string Tag => Context.ImageTagFor(_engine.IdOf("base:1"));

    [Fact]
    public async Task An_existing_image_on_the_same_base_costs_two_inspects_and_builds_nothing()
    {
        _engine.Images.UnionWith(["base:1", Tag]);

        Assert.Equal(Tag, await Ensure());

        Assert.Equal(["inspect base:1", $"inspect {Tag}"], _engine.Calls);
        Assert.Contains($"Sandbox image {Tag} is up to date (base base:1, sha256:base:1).", _log.Info);
    }

    [Fact]
    public async Task A_base_rebuilt_or_pulled_anew_under_the_same_name_gets_a_new_image()
    {
        _engine.Images.UnionWith(["base:1", Tag]);
        var old = Tag;
        _engine.ImageIds["base:1"] = "sha256:0123456789abcdef0123456789abcdef";

        var tag = await Ensure();

        Assert.NotEqual(old, tag);
        Assert.Equal(Tag, tag);
        Assert.Equal($"build {tag}", Assert.Single(_engine.Calls, call => call.StartsWith("build ", StringComparison.Ordinal)));
        Assert.Contains($"Building sandbox image {tag} from base:1 (sha256:0123456789ab)...", _log.Important);
    }

    [Fact]
    public async Task A_missing_image_is_built_from_the_context_after_its_base_is_pulled()
    {
        _engine.Pull = _ => null;

        Assert.Equal(Tag, await Ensure());

        // The image is looked for again once this build holds the image's lock: another build may have made it meanwhile.
        Assert.Equal(["inspect base:1", "pull base:1", "inspect base:1", $"inspect {Tag}", $"inspect {Tag}", $"build {Tag}", $"inspect {Tag}"], _engine.Calls);
        var build = Assert.Single(_engine.Builds);
        Assert.Equal((Tag, "Dockerfile", "host"), (build.Tag, build.Dockerfile, build.Network));
        Assert.Equal(Settings.ProxyArguments, build.BuildArguments);
        Assert.Equal(
            new Dictionary<string, string>(Specs.Identity.Labels) { ["org.agentsandbox.generated"] = "true" }.OrderBy(l => l.Key),
            build.Labels.OrderBy(l => l.Key));
        Assert.Contains("Step 1/1 : FROM base", _log.Important);
    }

    [Fact]
    public async Task The_context_sent_is_the_generated_files_and_nothing_else()
    {
        _engine.Images.Add("base:1");
        var sent = new List<string>();
        _engine.Build = request =>
        {
            using var reader = new TarReader(request.Context, leaveOpen: true);
            while (reader.GetNextEntry() is { } entry)
            {
                sent.Add(entry.Name);
            }
            return [];
        };

        await Ensure();

        Assert.Equal(Context.Files.Keys, sent);
    }

    [Fact]
    public async Task A_base_image_that_cannot_be_pulled_is_AGS3001_and_nothing_is_built()
    {
        var error = await Assert.ThrowsAsync<AgentSandboxException>(Ensure);

        Assert.Equal("AGS3001", error.Code);
        Assert.Contains("pull access denied", error.Message);
        Assert.Empty(_engine.Builds);
    }

    [Fact]
    public async Task A_failing_step_is_AGS3002_with_the_step_and_its_last_lines()
    {
        _engine.Images.Add("base:1");
        _engine.Build = _ =>
        [
            new EngineProgress("Step 1/2 : FROM base:1\n", null),
            new EngineProgress("Step 2/2 : RUN apt-get install nope\n", null),
            new EngineProgress("E: Unable to locate package nope\n", null),
            new EngineProgress(null, "The command '/bin/sh -c apt-get install nope' returned a non-zero code: 100"),
        ];

        var error = await Assert.ThrowsAsync<AgentSandboxException>(Ensure);

        Assert.Equal("AGS3002", error.Code);
        Assert.Contains("'Step 2/2 : RUN apt-get install nope'", error.Message);
        Assert.Contains("E: Unable to locate package nope", error.Message);
        Assert.Contains("returned a non-zero code: 100", error.Message);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("  ", null)]
    [InlineData("default", null)]
    [InlineData("host", "host")]
    [InlineData(" HOST ", "host")]
    [InlineData("none", "none")]
    [InlineData("bridge", "bridge")]
    public void Build_network_is_one_of_the_known_modes_and_default_is_the_engines(string? value, string? expected)
    {
        Assert.Equal(expected, SandboxSpecFactory.CreateImageBuild(value, _ => null).Network);
    }

    [Theory]
    [InlineData("my-network")]
    [InlineData("container:abc")]
    public void Unknown_build_network_is_rejected_with_the_allowed_values(string value)
    {
        var error = Assert.Throws<AgentSandboxException>(() => SandboxSpecFactory.CreateImageBuild(value, _ => null));

        Assert.Equal("AGS1004", error.Code);
        Assert.Contains("AgentBuildNetwork", error.Message);
        Assert.Contains("host", error.Message);
    }

    [Fact]
    public void Proxy_settings_of_the_host_become_build_arguments()
    {
        var settings = SandboxSpecFactory.CreateImageBuild(null, name => name is "HTTPS_PROXY" ? "http://proxy:3128" : null);

        Assert.Equal(new Dictionary<string, string> { ["HTTPS_PROXY"] = "http://proxy:3128" }, settings.ProxyArguments);
    }
}
