using System.Text.RegularExpressions;
using AgentSandbox.Image;
using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using static AgentSandbox.Sdk.Tests.TestSupport.ImageSpecs;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The generated Dockerfile's content for several kinds of project.</summary>
public sealed class DockerfileGeneratorTests : IDisposable
{
    private const string Pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string[] Lines(string dockerfile) => dockerfile.Split('\n');

    private static string Line(string dockerfile, string startsWith) =>
        Assert.Single(Lines(dockerfile), line => line.TrimStart().StartsWith(startsWith, StringComparison.Ordinal));

    /// <summary>The image's own stage: what follows its (last) FROM line.</summary>
    private static string FinalStage(string dockerfile) => dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];

    private static string InstallStage(string dockerfile) => dockerfile[..dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)];

    private SandboxImageSpec SpecWithCa(HostUser? user = null)
    {
        _temp.Write("proxy-ca.pem", Pem);
        return Create(Metadata(projectDirectory: _temp.Path), ImageInputs(caCertificateFiles: ["proxy-ca.pem"]), user);
    }

    [Fact]
    public void The_agent_is_installed_in_a_stage_of_its_own_and_only_its_folder_reaches_the_image()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(Metadata(["net8.0"])));

        Assert.Equal(["FROM mcr.microsoft.com/dotnet/sdk:8.0 AS agent", "FROM mcr.microsoft.com/dotnet/sdk:8.0"], Lines(dockerfile).Where(line => line.StartsWith("FROM ", StringComparison.Ordinal)));
        // npm, its cache and the distribution's npm packages stay behind in the install stage.
        Assert.Contains("npm install", InstallStage(dockerfile));
        Assert.Contains("node=\"nodejs npm\"", InstallStage(dockerfile));
        var image = FinalStage(dockerfile);
        Assert.DoesNotContain("npm install", image);
        Assert.DoesNotContain("nodejs npm", image);
        Assert.Equal(["COPY --from=agent /opt/agentsandbox/agent /opt/agentsandbox/agent"], Lines(image).Where(line => line.StartsWith("COPY", StringComparison.Ordinal)));
        Assert.Contains("ENV PATH=/opt/agentsandbox/agent/bin:$PATH", Lines(image));
    }

    [Fact]
    public void Claude_Codes_other_copies_of_its_binary_are_removed_in_the_install_stage()
    {
        var dockerfile = DockerfileGenerator.Generate(Create());

        Assert.Equal("&& cd /opt/agentsandbox/agent/lib/node_modules/@anthropic-ai/claude-code && if [ -f bin/claude.exe ]; then rm -rf node_modules; fi",
            Line(InstallStage(dockerfile), "&& cd /opt/agentsandbox/agent/lib/node_modules/").Trim());
        Assert.DoesNotContain("rm -rf node_modules", DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentKind: "codex"))));
    }

    [Fact]
    public void Node_is_added_to_the_image_only_for_a_cli_that_is_a_script_and_only_when_nothing_else_provides_it()
    {
        var image = FinalStage(DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentKind: "codex"))));

        Assert.Equal("""node=; [ "$(head -c 2 "$(readlink -f /opt/agentsandbox/agent/bin/codex)")" != '#!' ] || [ -x /opt/agentsandbox/agent/bin/node ] || command -v node >/dev/null 2>&1 || node=nodejs; \""",
            Line(image, "node=; [").Trim());
        Assert.Contains("    if [ -z \"$node\" ]; then :; \\\n    elif command -v apt-get", image);
        // The layers after the agent's folder check that the agent runs in the image as it is.
        Assert.Equal("/opt/agentsandbox/agent/bin/codex --version", Line(image, "/opt/agentsandbox/agent/bin/codex --version").Trim());
    }

    [Fact]
    public void Layers_come_in_the_order_their_inputs_change_least_often_system_packages_agent_configuration_user()
    {
        var lines = Lines(FinalStage(DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentKind: "gemini", systemPackages: ["jq"])))));

        var packages = Array.FindIndex(lines, line => line.Contains("ripgrep jq", StringComparison.Ordinal));
        var agent = Array.FindIndex(lines, line => line.StartsWith("COPY --from=agent", StringComparison.Ordinal));
        var configuration = Array.FindIndex(lines, line => line.StartsWith("RUN mkdir -p '/etc/gemini-cli'", StringComparison.Ordinal));
        var user = Array.FindIndex(lines, line => line.Contains("useradd", StringComparison.Ordinal));
        Assert.True(0 < packages && packages < agent && agent < configuration && configuration < user, $"{packages} {agent} {configuration} {user}");
    }

    [Theory]
    [InlineData("net8.0", "mcr.microsoft.com/dotnet/sdk:8.0")]
    [InlineData("net8.0;net10.0", "mcr.microsoft.com/dotnet/sdk:10.0")]
    [InlineData("", "node:22-slim")]
    public void Starts_from_the_chosen_base_image(string targetFrameworks, string expectedBase)
    {
        var dockerfile = DockerfileGenerator.Generate(Create(Metadata(targetFrameworks.Split(';', StringSplitOptions.RemoveEmptyEntries))));

        Assert.Equal($"FROM {expectedBase}", Line(FinalStage(dockerfile), "FROM "));
        Assert.Equal($"FROM {expectedBase} AS agent", Line(InstallStage(dockerfile), "FROM "));
    }

    [Fact]
    public void Explicit_base_image_is_the_from_line()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(inputs: ImageInputs(baseImage: "alpine:3.20")));

        Assert.Equal("FROM alpine:3.20", Line(FinalStage(dockerfile), "FROM "));
    }

    [Fact]
    public void Base_packages_are_installed_with_apt_and_with_apk()
    {
        var dockerfile = DockerfileGenerator.Generate(Create());

        Assert.Contains("apt-get install -y --no-install-recommends ca-certificates git ripgrep $node;", Line(dockerfile, "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates"));
        // On Alpine with GNU tar, find and coreutils too: copy mode runs them in the container, and BusyBox's lack their options.
        Assert.Contains("apk add --no-cache ca-certificates git ripgrep $node tar findutils coreutils;", Line(dockerfile, "apk add --no-cache ca-certificates"));
        // Neither package lists nor downloaded packages stay in the layer.
        Assert.Equal(3, Lines(dockerfile).Count(line => line.Trim() == "apt-get clean; rm -rf /var/lib/apt/lists/*; \\"));
    }

    [Fact]
    public void Extra_system_packages_appear_in_the_apt_and_the_apk_line()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(inputs: ImageInputs(systemPackages: ["jq", "python3=3.11.2-1"])));

        Assert.Contains(" ca-certificates git ripgrep jq python3=3.11.2-1 $node;", Line(dockerfile, "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates"));
        Assert.Contains(" ca-certificates git ripgrep jq python3=3.11.2-1 $node tar findutils coreutils;", Line(dockerfile, "apk add --no-cache ca-certificates"));
    }

    [Fact]
    public void Node_is_installed_only_when_the_base_image_lacks_npm()
    {
        var dockerfile = DockerfileGenerator.Generate(Create());

        Assert.Contains("command -v npm >/dev/null 2>&1 || node=\"nodejs npm\"", dockerfile);
    }

    [Fact]
    public void Agent_is_installed_at_its_pinned_version_and_checked()
    {
        var dockerfile = DockerfileGenerator.Generate(Create());

        Assert.Equal("RUN npm install --global --prefix /opt/agentsandbox/agent --no-fund --no-audit --no-update-notifier @anthropic-ai/claude-code@2.1.328 \\", Line(dockerfile, "RUN npm install --global"));
        Assert.Equal("/opt/agentsandbox/agent/bin/claude --version", Line(dockerfile, "/opt/agentsandbox/agent/bin/claude --version").Trim());
    }

    [Fact]
    public void Agent_version_override_is_installed()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentVersion: "2.0.14")));

        Assert.Contains(" @anthropic-ai/claude-code@2.0.14 \\", Line(dockerfile, "RUN npm install --global"));
        Assert.DoesNotContain("2.1.328", dockerfile);
    }

    [Fact]
    public void Agent_image_files_are_written_as_root_before_the_user_switch_readable_by_all()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentKind: "gemini")));

        var write = Line(dockerfile, "RUN mkdir -p '/etc/gemini-cli'");
        Assert.Equal(
            """RUN mkdir -p '/etc/gemini-cli' && printf '%s\n' '{"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false}}' > '/etc/gemini-cli/settings.json' && chmod 644 '/etc/gemini-cli/settings.json'""",
            write);
        var lines = Lines(dockerfile);
        Assert.InRange(Array.IndexOf(lines, write), 0, Array.FindIndex(lines, line => line.StartsWith("USER 1000", StringComparison.Ordinal)) - 1);
        Assert.InRange(Array.FindIndex(lines, line => line.Contains("@google/gemini-cli@0.61.0", StringComparison.Ordinal)), 0, Array.IndexOf(lines, write) - 1);
    }

    [Fact]
    public void Agent_that_needs_a_newer_node_gets_it_from_npm_in_the_install_step_only_when_the_images_is_older()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentKind: "gemini")));

        Assert.Equal("RUN npm install --global --prefix /opt/agentsandbox/agent --no-fund --no-audit --no-update-notifier @google/gemini-cli@0.61.0 \\", Line(dockerfile, "RUN npm install --global"));
        Assert.Equal("""&& if [ "$(node -p "process.versions.node.split('.')[0]")" -lt 20 ]; then npm install --global --prefix /opt/agentsandbox/agent --no-fund --no-audit --no-update-notifier node@20; fi""",
            Line(dockerfile, "&& if [ \"$(node").Trim());
        Assert.DoesNotContain("node@", DockerfileGenerator.Generate(Create()));
    }

    [Fact]
    public void Image_files_follow_the_agent_version()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(inputs: ImageInputs(agentKind: "gemini", agentVersion: "0.2.2")));

        Assert.Contains("""'{"selectedAuthType":"gemini-api-key","usageStatisticsEnabled":false}'""", Line(dockerfile, "RUN mkdir -p '/etc/gemini-cli'"));
    }

    [Fact]
    public void Agent_without_image_files_writes_none()
    {
        Assert.DoesNotContain("printf", DockerfileGenerator.Generate(Create()));
    }

    [Fact]
    public void Ca_certificates_are_copied_trusted_by_node_and_installed_in_the_os_store()
    {
        var dockerfile = DockerfileGenerator.Generate(SpecWithCa());

        // In both stages: npm in the one, the agent and the package manager in the other go through the proxy.
        foreach (var stage in new[] { InstallStage(dockerfile), FinalStage(dockerfile) })
        {
            Assert.Equal("COPY agentsandbox-ca.crt /usr/local/share/ca-certificates/agentsandbox-ca.crt", Line(stage, "COPY agentsandbox-ca.crt"));
            Assert.Equal("ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/agentsandbox-ca.crt", Line(stage, "ENV NODE_EXTRA_CA_CERTS"));
            Assert.Single(Lines(stage), line => line.Contains(">> /etc/ssl/certs/ca-certificates.crt", StringComparison.Ordinal));
        }
        Assert.Equal("update-ca-certificates", Line(FinalStage(dockerfile), "update-ca-certificates").Trim());
    }

    [Fact]
    public void Ca_certificates_are_trusted_before_the_package_manager_runs()
    {
        var lines = Lines(DockerfileGenerator.Generate(SpecWithCa()));

        var appendToBundle = Array.FindIndex(lines, line => line.Contains(">> /etc/ssl/certs/ca-certificates.crt", StringComparison.Ordinal));
        var aptUpdate = Array.FindIndex(lines, line => line.Contains("apt-get update", StringComparison.Ordinal));
        var copy = Array.FindIndex(lines, line => line.StartsWith("COPY ", StringComparison.Ordinal));
        Assert.InRange(copy, 0, appendToBundle - 1);
        Assert.InRange(appendToBundle, 0, aptUpdate - 1);
    }

    [Fact]
    public void Without_ca_certificates_nothing_about_them_is_generated()
    {
        var dockerfile = DockerfileGenerator.Generate(Create());

        Assert.DoesNotContain("COPY agentsandbox", dockerfile);
        Assert.DoesNotContain("NODE_EXTRA_CA_CERTS", dockerfile);
        Assert.DoesNotContain("update-ca-certificates", dockerfile);
        Assert.DoesNotContain(DockerfileGenerator.CaCertificatesFile, dockerfile);
    }

    [Fact]
    public void Ca_certificate_content_is_not_inlined_in_the_dockerfile()
    {
        var dockerfile = DockerfileGenerator.Generate(SpecWithCa());

        Assert.DoesNotContain("MIIBfake", dockerfile);
    }

    [Fact]
    public void Ordinary_user_gets_an_account_with_its_uid_and_gid_and_runs_as_it()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(user: new HostUser(1000, 1000)));

        Assert.Contains("useradd -l -u 1000 -g 1000 -d /home/agent", dockerfile);
        Assert.Contains("chown -R 1000:1000 /home/agent /workspace", dockerfile);
        Assert.Contains("ENV HOME=/home/agent", Lines(dockerfile));
        Assert.Equal("USER 1000:1000", Lines(dockerfile).Last(line => line.StartsWith("USER ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Uid_and_gid_that_differ_are_both_used()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(user: new HostUser(1001, 121)));

        Assert.Contains("groupadd -g 121 agentsandbox", dockerfile);
        Assert.Contains("useradd -l -u 1001 -g 121 ", dockerfile);
        Assert.Equal("USER 1001:121", Lines(dockerfile).Last(line => line.StartsWith("USER ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Root_user_stays_root_with_root_home_and_no_account()
    {
        var dockerfile = DockerfileGenerator.Generate(Create(user: Root));

        Assert.DoesNotMatch(new Regex(@"^USER \d+:\d+$", RegexOptions.Multiline), dockerfile);
        Assert.Equal("USER root", Lines(dockerfile).Last(line => line.StartsWith("USER ", StringComparison.Ordinal)));
        Assert.Contains("ENV HOME=/root", Lines(dockerfile));
        Assert.DoesNotContain("useradd", dockerfile);
        Assert.DoesNotContain("/home/agent", dockerfile);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1000u)]
    public void Working_directory_is_the_workspace(uint uid)
    {
        var dockerfile = DockerfileGenerator.Generate(Create(user: new HostUser(uid, uid)));

        Assert.Equal("WORKDIR /workspace", Lines(dockerfile).Last(line => line.Length > 0));
    }

    [Theory]
    [InlineData(false, 0u)]
    [InlineData(false, 1000u)]
    [InlineData(true, 0u)]
    [InlineData(true, 1000u)]
    public void Every_line_continuation_is_followed_by_a_command_line(bool withCa, uint uid)
    {
        var user = new HostUser(uid, uid);
        var spec = withCa ? SpecWithCa(user) : Create(inputs: ImageInputs(systemPackages: ["jq"]), user: user);
        var lines = Lines(DockerfileGenerator.Generate(spec));

        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].EndsWith('\\'))
            {
                // A continuation into a blank line or a new instruction would merge or break RUN steps.
                Assert.True(i + 1 < lines.Length, $"line {i + 1} continues past the end");
                Assert.Matches(@"^\s+\S", lines[i + 1]);
            }
        }
    }

    [Fact]
    public void Dockerfile_uses_unix_line_endings()
    {
        var dockerfile = DockerfileGenerator.Generate(SpecWithCa());

        Assert.DoesNotContain("\r", dockerfile);
        Assert.EndsWith("\n", dockerfile);
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        Assert.Equal(DockerfileGenerator.Generate(SpecWithCa()), DockerfileGenerator.Generate(SpecWithCa()));
    }

    [Fact]
    public void Dockerfile_never_contains_credentials_even_when_the_build_environment_has_them()
    {
        const string secret = "sk-ant-api03-unit-test-secret";
        var previous = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY");
        Environment.SetEnvironmentVariable("ANTHROPIC_API_KEY", secret);
        try
        {
            var context = SandboxBuildContext.FromSpec(SpecWithCa());

            foreach (var content in context.Files.Values)
            {
                var text = System.Text.Encoding.UTF8.GetString(content);
                Assert.DoesNotContain(secret, text);
                Assert.DoesNotContain("ANTHROPIC", text);
                Assert.DoesNotContain("API_KEY", text);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("ANTHROPIC_API_KEY", previous);
        }
    }
}
