using System.Formats.Tar;
using System.Text;
using AgentSandbox.Image;
using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using static AgentSandbox.Sdk.Tests.TestSupport.ImageSpecs;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The build context: its content-addressed tag, its files on disk and its tar stream.</summary>
public sealed class SandboxBuildContextTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private SandboxImageSpec SpecWithCa(string pem = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n")
    {
        _temp.Write("ca.pem", pem);
        return Create(Metadata(projectDirectory: _temp.Path), ImageInputs(caCertificateFiles: ["ca.pem"]));
    }

    private const string BaseId = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    private static string Tag(SandboxImageSpec spec) => SandboxBuildContext.FromSpec(spec).ImageTagFor(BaseId);

    [Fact]
    public void Tag_is_the_repository_and_sixteen_lowercase_hex_digits()
    {
        Assert.Matches("^agentsandbox:[0-9a-f]{16}$", Tag(Create()));
    }

    [Fact]
    public void The_same_context_on_another_base_image_has_another_tag()
    {
        var context = SandboxBuildContext.FromSpec(Create());

        Assert.NotEqual(context.ImageTagFor(BaseId), context.ImageTagFor("sha256:2222222222222222222222222222222222222222222222222222222222222222"));
    }

    [Fact]
    public void Same_spec_gives_the_same_tag()
    {
        Assert.Equal(Tag(Create()), Tag(Create()));
        Assert.Equal(Tag(SpecWithCa()), Tag(SpecWithCa()));
    }

    [Fact]
    public void Each_change_to_the_spec_gives_a_different_tag()
    {
        var tags = new[]
        {
            Tag(Create()),
            Tag(Create(inputs: ImageInputs(systemPackages: ["jq"]))),
            Tag(Create(inputs: ImageInputs(systemPackages: ["jq", "curl"]))),
            Tag(SpecWithCa()),
            Tag(Create(user: new HostUser(1001, 1000))),
            Tag(Create(user: new HostUser(1000, 1001))),
            Tag(Create(user: Root)),
            Tag(Create(inputs: ImageInputs(agentVersion: "2.1.327"))),
            Tag(Create(inputs: ImageInputs(baseImage: "ubuntu:24.04"))),
            Tag(Create(Metadata(["net9.0"]))),
        };

        Assert.Equal(tags.Length, tags.Distinct().Count());
    }

    [Fact]
    public void Changing_only_the_ca_certificate_content_changes_the_tag()
    {
        var first = Tag(SpecWithCa("-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n"));
        var second = Tag(SpecWithCa("-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n"));

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Context_holds_only_the_dockerfile_without_ca_certificates()
    {
        var context = SandboxBuildContext.FromSpec(Create());

        Assert.Equal(["Dockerfile"], context.Files.Keys);
        Assert.Equal(DockerfileGenerator.Generate(Create()), Encoding.UTF8.GetString(context.Files["Dockerfile"]));
    }

    [Fact]
    public void Context_holds_the_dockerfile_and_the_ca_bundle_with_certificates()
    {
        var context = SandboxBuildContext.FromSpec(SpecWithCa());

        Assert.Equal(["Dockerfile", "agentsandbox-ca.crt"], context.Files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n", Encoding.UTF8.GetString(context.Files["agentsandbox-ca.crt"]));
    }

    [Fact]
    public void Written_and_read_back_context_has_the_same_tag_and_files()
    {
        var original = SandboxBuildContext.FromSpec(SpecWithCa());
        var directory = _temp.Combine("obj/agentsandbox");

        original.WriteTo(directory, _temp.Path);
        var readBack = SandboxBuildContext.ReadFrom(directory);

        Assert.Equal(original.ImageTagFor(BaseId), readBack.ImageTagFor(BaseId));
        Assert.Equal(original.Files.Keys, readBack.Files.Keys);
        Assert.Equal(original.Files["Dockerfile"], readBack.Files["Dockerfile"]);
    }

    [Fact]
    public void Writing_removes_generated_files_of_an_earlier_generation_and_nothing_else()
    {
        var directory = _temp.Combine("context");
        SandboxBuildContext.FromSpec(SpecWithCa()).WriteTo(directory, _temp.Path);
        // AgentSandboxContextDirectory may point anywhere: a file that is not ours is neither deleted nor sent to the engine.
        File.WriteAllText(Path.Combine(directory, "Program.cs"), "the user's");

        var withoutCa = SandboxBuildContext.FromSpec(Create());
        withoutCa.WriteTo(directory, _temp.Path);

        Assert.Equal(["Dockerfile", "Program.cs"], Directory.EnumerateFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(withoutCa.ImageTagFor(BaseId), SandboxBuildContext.ReadFrom(directory).ImageTagFor(BaseId));
        Assert.Equal(["Dockerfile"], SandboxBuildContext.ReadFrom(directory).Files.Keys);
    }

    [Fact]
    public void Writing_an_unchanged_context_leaves_the_files_untouched()
    {
        var directory = _temp.Combine("context");
        var context = SandboxBuildContext.FromSpec(Create());
        context.WriteTo(directory, _temp.Path);
        var dockerfile = Path.Combine(directory, "Dockerfile");
        var marker = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(dockerfile, marker);

        context.WriteTo(directory, _temp.Path);

        Assert.Equal(marker, File.GetLastWriteTimeUtc(dockerfile));
    }

    [Fact]
    public void Writing_replaces_an_edited_dockerfile()
    {
        var directory = _temp.Combine("context");
        var context = SandboxBuildContext.FromSpec(Create());
        context.WriteTo(directory, _temp.Path);
        File.AppendAllText(Path.Combine(directory, "Dockerfile"), "RUN echo edited\n");

        context.WriteTo(directory, _temp.Path);

        Assert.Equal(context.ImageTagFor(BaseId), SandboxBuildContext.ReadFrom(directory).ImageTagFor(BaseId));
    }

    [Fact]
    public void Edited_context_on_disk_gets_another_tag()
    {
        var directory = _temp.Combine("context");
        var context = SandboxBuildContext.FromSpec(Create());
        context.WriteTo(directory, _temp.Path);
        File.AppendAllText(Path.Combine(directory, "Dockerfile"), "RUN echo edited\n");

        Assert.NotEqual(context.ImageTagFor(BaseId), SandboxBuildContext.ReadFrom(directory).ImageTagFor(BaseId));
    }

    [Fact]
    public void Tar_contains_exactly_the_context_files_with_their_content()
    {
        var context = SandboxBuildContext.FromSpec(SpecWithCa());

        var entries = ReadTar(context.ToTar());

        Assert.Equal(["Dockerfile", "agentsandbox-ca.crt"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(context.Files["Dockerfile"], entries["Dockerfile"]);
        Assert.Equal(context.Files["agentsandbox-ca.crt"], entries["agentsandbox-ca.crt"]);
    }

    [Fact]
    public void Tar_without_ca_certificates_contains_only_the_dockerfile()
    {
        var entries = ReadTar(SandboxBuildContext.FromSpec(Create()).ToTar());

        Assert.Equal(["Dockerfile"], entries.Keys);
    }

    [Fact]
    public void Tar_is_the_same_bytes_every_time()
    {
        var context = SandboxBuildContext.FromSpec(SpecWithCa());

        Assert.Equal(context.ToTar().ToArray(), SandboxBuildContext.FromSpec(SpecWithCa()).ToTar().ToArray());
    }

    private static Dictionary<string, byte[]> ReadTar(MemoryStream tar)
    {
        Assert.Equal(0, tar.Position);
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            Assert.Equal(TarEntryType.RegularFile, entry.EntryType);
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            entries.Add(entry.Name, content.ToArray());
        }
        return entries;
    }
}
