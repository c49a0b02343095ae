using AgentSandbox.Agents;
using NuGet.Versioning;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The Codex command line: `codex exec --json` with a model provider of ours, as an argument vector.</summary>
public sealed class CodexProfileTests
{
    private static readonly CodexProfile Profile = new();
    private static readonly NuGetVersion Version = NuGetVersion.Parse("0.169.0");

    private const string DefaultProvider =
        """{name="agentsandbox",base_url="https://api.openai.com/v1",env_key="OPENAI_API_KEY",wire_api="responses",env_http_headers={"OpenAI-Organization"="OPENAI_ORGANIZATION","OpenAI-Project"="OPENAI_PROJECT"}}""";

    /// <summary>The value of the -c that defines the provider.</summary>
    private static string ProviderOf(IReadOnlyList<string> command) =>
        Assert.Single(command, a => a.StartsWith("model_providers.agentsandbox=", StringComparison.Ordinal))["model_providers.agentsandbox=".Length..];

    [Theory]
    [InlineData("0.169.0")]
    [InlineData("0.44.0")]
    [InlineData("0.40.0")]
    public void Command_runs_codex_exec_with_json_output_and_our_provider_in_every_version(string version)
    {
        // Every flag here is in codex exec since 0.8.0; only the output format changed (at 0.44.0, see the parser).
        var command = Profile.BuildCommand(new AgentInvocation("Fix the build", NuGetVersion.Parse(version), CredentialVariable: "OPENAI_API_KEY"));

        Assert.Equal(
            ["codex", "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
             "-c", "model_provider=agentsandbox", "-c", "model_providers.agentsandbox=" + DefaultProvider, "--", "Fix the build"],
            command);
    }

    [Theory]
    [InlineData("Say \"hello\" to the world")]
    [InlineData("It's Bob's code, isn't it?")]
    [InlineData("First line\nsecond line\r\nthird line")]
    [InlineData("$(rm -rf /)")]
    [InlineData("`rm -rf /`")]
    [InlineData("a; rm -rf / && echo $HOME | tee ~/x > /dev/null & \\")]
    [InlineData("-m o3 -c model_provider=evil")]
    [InlineData("--")]
    [InlineData("- Add XML docs\n- Keep behaviour")]
    [InlineData("  leading and trailing spaces  ")]
    public void Prompt_is_one_unchanged_argument_after_the_options_whatever_it_contains(string prompt)
    {
        var command = Profile.BuildCommand(new AgentInvocation(prompt, Version));

        Assert.Equal(11, command.Count);
        Assert.Equal("exec", command[1]);
        Assert.Equal("--", command[^2]);
        Assert.Equal(prompt, command[^1]);
    }

    [Fact]
    public void Model_and_extra_arguments_come_before_the_prompt_in_order()
    {
        var command = Profile.BuildCommand(new AgentInvocation("p", Version, Model: "gpt-5-codex",
            ExtraArguments: ["-c", "model_reasoning_effort=\"high\"", "--profile", "ci; really"]));

        Assert.Equal(["--dangerously-bypass-approvals-and-sandbox", "-m", "gpt-5-codex", "-c", "model_provider=agentsandbox"], command.Skip(4).Take(5));
        Assert.Equal(["-c", "model_reasoning_effort=\"high\"", "--profile", "ci; really", "--", "p"], command.TakeLast(6));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_model_argument_when_none_is_set(string? model)
    {
        Assert.DoesNotContain("-m", Profile.BuildCommand(new AgentInvocation("p", Version, Model: model)));
    }

    [Fact]
    public void Base_url_becomes_the_providers_base_url()
    {
        var provider = ProviderOf(Profile.BuildCommand(new AgentInvocation("p", Version, BaseUrl: "http://127.0.0.1:8080/v1")));

        Assert.StartsWith("""{name="agentsandbox",base_url="http://127.0.0.1:8080/v1",env_key="OPENAI_API_KEY",wire_api="responses",""", provider);
    }

    [Theory]
    [InlineData("https://gw.example/v1?team=a\"b", "https://gw.example/v1?team=a\\\"b")]
    [InlineData("https://gw.example/v1\\x", "https://gw.example/v1\\\\x")]
    [InlineData("https://gw.example/v1\n[evil]", "https://gw.example/v1\\n[evil]")]
    [InlineData("https://gw.example/v1\t\u0001\u007f", "https://gw.example/v1\\t\\u0001\\u007F")]
    [InlineData("https://gw.example/ü/v1", "https://gw.example/ü/v1")]
    public void Base_url_is_escaped_as_a_toml_basic_string(string url, string escaped)
    {
        var provider = ProviderOf(Profile.BuildCommand(new AgentInvocation("p", Version, BaseUrl: url)));

        Assert.Contains($"base_url=\"{escaped}\",env_key=", provider);
    }

    [Fact]
    public void Only_codex_api_key_set_makes_it_the_providers_key_variable()
    {
        // codex exec's built-in provider reads CODEX_API_KEY but not OPENAI_API_KEY; ours reads the one that is set.
        var provider = ProviderOf(Profile.BuildCommand(new AgentInvocation("p", Version, CredentialVariable: "CODEX_API_KEY")));

        Assert.Contains("env_key=\"CODEX_API_KEY\"", provider);
    }

    [Theory]
    [InlineData(nameof(AgentSetting.Model), true)]
    [InlineData(nameof(AgentSetting.ExtraArguments), true)]
    [InlineData(nameof(AgentSetting.Version), true)]
    [InlineData(nameof(AgentSetting.MaxTurns), false)]
    [InlineData(nameof(AgentSetting.MaxBudgetUsd), false)]
    public void Supports_model_extra_arguments_and_version_but_no_limits(string settingName, bool supported)
    {
        var setting = Enum.Parse<AgentSetting>(settingName);

        Assert.Equal(supported, Profile.Supports(setting, Version));
        Assert.Equal(supported, Profile.Supports(setting, NuGetVersion.Parse("0.40.0")));
    }

    [Fact]
    public void Profile_names_its_package_executable_credentials_and_endpoint_variable()
    {
        Assert.Equal("codex", Profile.Kind);
        Assert.Equal("Codex 0.169.0", ((IAgentProfile)Profile).Describe(Profile.DefaultVersion));
        Assert.Equal("@openai/codex", Profile.NpmPackage);
        Assert.Equal("codex", Profile.Executable);
        Assert.Equal(["OPENAI_API_KEY", "CODEX_API_KEY"], Profile.CredentialVariables);
        Assert.Equal("OPENAI_BASE_URL", Profile.BaseUrlVariable);
        // Given as an argument (codex 0.169 ignores the variable), and passed too so that its value is masked.
        Assert.Contains("OPENAI_BASE_URL", Profile.OptionalVariables);
        Assert.Equal("https://api.openai.com/v1", ((IAgentProfile)Profile).DefaultBaseUrl);
        Assert.All(Profile.ProxiedCredentials, credential => Assert.Equal(("Authorization", "Bearer {value}"), (credential.Header, credential.Format)));
        Assert.Equal(Profile.CredentialVariables, Profile.ProxiedCredentials.Select(credential => credential.Variable));
        Assert.Empty(Profile.RootEnvironment);
    }

    [Theory]
    [InlineData("codex")]
    [InlineData("Codex")]
    [InlineData(" CODEX ")]
    public void Agent_kind_codex_finds_the_profile(string kind)
    {
        Assert.IsType<CodexProfile>(AgentProfiles.Find(kind));
        Assert.Contains("codex", AgentProfiles.Kinds);
    }

    [Fact]
    public void Each_parser_is_a_fresh_instance()
    {
        Assert.NotSame(Profile.CreateParser(Version), Profile.CreateParser(Version));
    }

    [Theory]
    [InlineData("/bin/bash -lc \"sed -i 's/Hello, World\"'!/Hello, Agent!/'\"' Program.cs && echo edited\"", "sed -i 's/Hello, World!/Hello, Agent!/' Program.cs && echo edited")]
    [InlineData("bash -lc 'echo hello-from-mock'", "echo hello-from-mock")]
    [InlineData("/usr/bin/zsh -c ls", "ls")]
    [InlineData("/bin/bash -lc \"echo \\\"a\\\" \\$HOME \\\\ \\n\"", "echo \"a\" $HOME \\ \\n")]
    [InlineData("bash -lc dotnet\\ test", "dotnet test")]
    [InlineData("dotnet test", "dotnet test")]
    [InlineData("python -c 'print(1)'", "python -c 'print(1)'")]
    [InlineData("bash -lc 'a' 'b'", "bash -lc 'a' 'b'")]
    [InlineData("bash -lc 'unterminated", "bash -lc 'unterminated")]
    [InlineData("bash -lc \"unterminated", "bash -lc \"unterminated")]
    [InlineData("bash -lc ''", "bash -lc ''")]
    [InlineData("bash -lc trailing\\", "bash -lc trailing\\")]
    public void Shell_wrapper_is_unwrapped_only_around_exactly_one_word(string command, string expected)
    {
        Assert.Equal(expected, CodexProfile.UnwrapShell(command));
    }
}
