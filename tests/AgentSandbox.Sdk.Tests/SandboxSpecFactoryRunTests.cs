using AgentSandbox.Errors;
using AgentSandbox.Inputs;
using AgentSandbox.Project;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

/// <summary>Validation of run inputs and their resolution against a fake build environment.</summary>
public sealed class SandboxSpecFactoryRunTests : IDisposable
{
    private const string Secret = "sk-ant-api03-THIS-IS-A-FAKE-SECRET";
    private static readonly HostUser User = new(1000, 1000);
    private static readonly HostUser Root = new(0, 0);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private SandboxInputs Inputs(
        string? prompt = "Add XML docs",
        string? promptFile = null,
        string? agentKind = null,
        string? agentVersion = null,
        string? model = null,
        string? maxTurns = null,
        string[]? extraArguments = null,
        string? network = "bridge",
        string[]? environmentVariables = null) =>
        Specs.Run(_temp.Path, prompt) with
        {
            PromptFile = promptFile,
            AgentKind = agentKind,
            AgentVersion = agentVersion,
            Model = model,
            MaxTurns = maxTurns,
            ExtraArguments = extraArguments is null ? null : string.Join(";", extraArguments),
            Network = network,
            EnvironmentVariables = environmentVariables is null ? null : string.Join(";", environmentVariables),
        };

    private static Func<string, string?> Host(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    private static readonly Func<string, string?> WithKey = Host(("ANTHROPIC_API_KEY", Secret));

    private static AgentSandboxException Fails(SandboxInputs inputs, Func<string, string?>? host = null, HostUser? user = null) =>
        Assert.Throws<AgentSandboxException>(() => Specs.Create(inputs, host ?? WithKey, user ?? User));

    private static AgentRunSpec Spec(SandboxInputs inputs, Func<string, string?>? host = null, HostUser? user = null) =>
        Specs.RunSpec(inputs, host ?? WithKey, user ?? User);

    private static (AgentRunSpec Spec, IReadOnlyList<Warning> Warnings) CreateRun(SandboxInputs inputs, Func<string, string?> host, HostUser user)
    {
        var (spec, warnings) = Specs.Create(inputs, host, user);
        return (spec.Run!, warnings);
    }

    private static IReadOnlyDictionary<string, string> Env(AgentRunSpec spec) => spec.Environment.Variables;

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n ")]
    public void No_prompt_is_AGS1001(string? prompt)
    {
        Assert.Equal("AGS1001", Fails(Inputs(prompt: prompt)).Code);
    }

    [Fact]
    public void Missing_prompt_file_is_AGS1002_with_its_full_path()
    {
        var error = Fails(Inputs(prompt: null, promptFile: "prompts/missing.md"));

        Assert.Equal("AGS1002", error.Code);
        Assert.Contains(_temp.Combine("prompts/missing.md"), error.Message);
    }

    [Fact]
    public void Prompt_and_prompt_file_together_are_AGS1003()
    {
        _temp.Write("prompt.md", "Do it");

        Assert.Equal("AGS1003", Fails(Inputs(prompt: "Do that", promptFile: "prompt.md")).Code);
    }

    [Fact]
    public void Prompt_file_is_read_relative_to_the_project_and_trimmed()
    {
        _temp.Write("prompts/task.md", "\n  Add XML docs to the public API.\n\nKeep \"quotes\" and $(things).\n\n");

        var spec = Spec(Inputs(prompt: null, promptFile: " prompts/task.md "));

        Assert.Equal("Add XML docs to the public API.\n\nKeep \"quotes\" and $(things).", spec.Invocation.Prompt);
        Assert.Equal("Add XML docs to the public API.\n\nKeep \"quotes\" and $(things).", spec.Command[^1]);
    }

    [Fact]
    public void Prompt_file_with_an_absolute_path_is_read()
    {
        var path = _temp.Write("elsewhere/p.txt", "Refactor");

        Assert.Equal("Refactor", Spec(Inputs(prompt: null, promptFile: path)).Invocation.Prompt);
    }

    [Fact]
    public void Empty_prompt_file_is_AGS1001()
    {
        _temp.Write("empty.md", " \n\t\n");

        Assert.Equal("AGS1001", Fails(Inputs(prompt: null, promptFile: "empty.md")).Code);
    }

    [Fact]
    public void Prompt_is_trimmed()
    {
        Assert.Equal("Add docs", Spec(Inputs(prompt: "  Add docs \n")).Invocation.Prompt);
    }

    [Fact]
    public void Unknown_agent_kind_is_AGS1004()
    {
        var error = Fails(Inputs(agentKind: "copilot"));

        Assert.Equal("AGS1004", error.Code);
        Assert.Contains("copilot", error.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("+3")]
    [InlineData("2.5")]
    [InlineData("99999999999")]
    public void Max_turns_that_is_not_a_positive_whole_number_is_AGS1005(string maxTurns)
    {
        var error = Fails(Inputs(maxTurns: maxTurns));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentMaxTurns", error.Message);
    }

    [Theory]
    [InlineData("5", 5)]
    [InlineData(" 12 ", 12)]
    [InlineData(null, null)]
    [InlineData("", null)]
    public void Max_turns_is_parsed(string? maxTurns, int? expected)
    {
        Assert.Equal(expected, Spec(Inputs(maxTurns: maxTurns)).Invocation.MaxTurns);
    }

    [Fact]
    public void Invalid_agent_version_is_AGS1005()
    {
        Assert.Equal("AGS1005", Fails(Inputs(agentVersion: "newest")).Code);
    }

    [Fact]
    public void Model_is_trimmed_and_blank_model_is_none()
    {
        Assert.Equal("claude-sonnet-4-5", Spec(Inputs(model: " claude-sonnet-4-5 ")).Invocation.Model);
        Assert.Null(Spec(Inputs(model: " ")).Invocation.Model);
    }

    [Fact]
    public void Empty_extra_arguments_are_dropped_and_the_rest_kept_in_order_before_the_prompt()
    {
        var spec = Spec(Inputs(extraArguments: ["--add-dir", "", " /tmp ", " ", "--allowedTools", "Bash(git:*)"]));

        Assert.Equal(["--add-dir", "/tmp", "--allowedTools", "Bash(git:*)"], spec.Invocation.ExtraArguments!);
        Assert.Equal(["--add-dir", "/tmp", "--allowedTools", "Bash(git:*)", "--", "Add XML docs"], spec.Command.TakeLast(6));
    }

    [Theory]
    [InlineData(null, "allowlist")]
    [InlineData(" ", "allowlist")]
    [InlineData("none", "none")]
    [InlineData("bridge", "bridge")]
    [InlineData(" my_net.1 ", "my_net.1")]
    public void Network_defaults_to_the_allowlist(string? network, string expected)
    {
        var spec = Spec(Inputs(network: network));
        Assert.Equal(expected, spec.Network);
        Assert.Equal(expected == "allowlist", spec.Egress is not null);
    }

    [Theory]
    [InlineData("my net")]
    [InlineData("-net")]
    [InlineData("net;rm")]
    public void Invalid_network_name_is_AGS1005(string network)
    {
        Assert.Equal("AGS1005", Fails(Inputs(network: network)).Code);
    }

    [Fact]
    public void No_credential_is_AGS1006_naming_the_variables()
    {
        var error = Fails(Inputs(), Host());

        Assert.Equal("AGS1006", error.Code);
        Assert.Contains("ANTHROPIC_API_KEY", error.Message);
    }

    [Fact]
    public void Base_url_and_model_without_a_key_are_still_AGS1006()
    {
        var error = Fails(Inputs(), Host(("ANTHROPIC_BASE_URL", "http://proxy:8080"), ("ANTHROPIC_MODEL", "opus")));

        Assert.Equal("AGS1006", error.Code);
    }

    [Fact]
    public void Empty_host_credential_is_AGS1006()
    {
        Assert.Equal("AGS1006", Fails(Inputs(), Host(("ANTHROPIC_API_KEY", ""))).Code);
    }

    [Fact]
    public void Empty_credential_in_the_list_is_AGS1006()
    {
        // -p:AgentEnvironmentVariables="ANTHROPIC_API_KEY=$(Unset)" gives an empty key: the agent would only retry 401s for minutes.
        Assert.Equal("AGS1006", Fails(Inputs(environmentVariables: ["ANTHROPIC_API_KEY="]), Host()).Code);
    }

    [Theory]
    [InlineData("ANTHROPIC_API_KEY")]
    [InlineData("ANTHROPIC_AUTH_TOKEN")]
    [InlineData("CLAUDE_CODE_OAUTH_TOKEN")]
    public void Any_credential_variable_from_the_host_is_passed(string name)
    {
        var env = Env(Spec(Inputs(), Host((name, Secret))));

        Assert.Equal(Secret, env[name]);
    }

    [Fact]
    public void Optional_variables_from_the_host_are_passed_and_others_are_not()
    {
        var env = Env(Spec(Inputs(), Host(("ANTHROPIC_API_KEY", Secret), ("ANTHROPIC_BASE_URL", "http://proxy:8080"), ("HOME", "/home/me"), ("PATH", "/usr/bin"))));

        Assert.Equal("http://proxy:8080", env["ANTHROPIC_BASE_URL"]);
        Assert.False(env.ContainsKey("HOME"));
        Assert.False(env.ContainsKey("PATH"));
    }

    [Fact]
    public void Sandbox_environment_disables_telemetry_and_self_update()
    {
        var env = Env(Spec(Inputs()));

        Assert.Equal("1", env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"]);
        Assert.Equal("1", env["DISABLE_AUTOUPDATER"]);
    }

    [Fact]
    public void Named_variable_passes_the_host_value()
    {
        var (spec, warnings) = CreateRun(Inputs(environmentVariables: ["NUGET_TOKEN"]),
            Host(("ANTHROPIC_API_KEY", Secret), ("NUGET_TOKEN", "nuget-secret")), User);

        Assert.Equal("nuget-secret", Env(spec)["NUGET_TOKEN"]);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Name_value_pair_sets_the_value_verbatim_after_the_first_equals_sign()
    {
        var env = Env(Spec(Inputs(environmentVariables: ["CONNECTION=Server=db,User=sa", " DOTNET_CLI_TELEMETRY_OPTOUT=1 ", "EMPTY=", "GLOB=a*b?"])));

        Assert.Equal("Server=db,User=sa", env["CONNECTION"]);
        Assert.Equal("a*b?", env["GLOB"]);
        Assert.Equal("1", env["DOTNET_CLI_TELEMETRY_OPTOUT"]);
        Assert.Equal("", env["EMPTY"]);
    }

    [Fact]
    public void Unset_named_variable_is_warning_AGS1101_and_not_passed()
    {
        var (spec, warnings) = CreateRun(Inputs(environmentVariables: ["NOT_SET_ANYWHERE"]), WithKey, User);

        var warning = Assert.Single(warnings);
        Assert.Equal("AGS1101", warning.Code);
        Assert.Contains("NOT_SET_ANYWHERE", warning.Message);
        Assert.DoesNotContain("NOT_SET_ANYWHERE", spec.Environment.Names);
    }

    [Fact]
    public void Sandbox_builds_get_proxies_and_AgentBuildEnvironmentVariables_but_never_the_agent_credential()
    {
        var inputs = Inputs() with { BuildEnvironmentVariables = "NuGetPackageSourceCredentials_Private;FEED_MODE=ci;NOT_SET_ANYWHERE" };
        var host = Host(("ANTHROPIC_API_KEY", Secret), ("HTTPS_PROXY", "http://proxy:3128"), ("NuGetPackageSourceCredentials_Private", "Username=u;Password=p"));

        var (spec, warnings) = CreateRun(inputs, host, User);

        var build = spec.BuildEnvironment.Variables.Select(variable => $"{variable.Key}={variable.Value}").ToList();
        Assert.Equal(["FEED_MODE=ci", "HTTPS_PROXY=http://proxy:3128", "NuGetPackageSourceCredentials_Private=Username=u;Password=p"], build.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(build, variable => variable.Contains(Secret, StringComparison.Ordinal));
        Assert.DoesNotContain("NuGetPackageSourceCredentials_Private", spec.Environment.Names);
        var warning = Assert.Single(warnings);
        Assert.Equal("AGS1101", warning.Code);
        Assert.StartsWith("AgentBuildEnvironmentVariables names 'NOT_SET_ANYWHERE'", warning.Message);
        Assert.Equal("feed: ***", spec.BuildEnvironment.Redact("feed: Username=u;Password=p"));
    }

    [Theory]
    [InlineData("MY-VAR=" + Secret)]
    [InlineData("1ABC=" + Secret)]
    [InlineData("A B=" + Secret)]
    [InlineData("=" + Secret)]
    [InlineData("$(X)=" + Secret)]
    public void Invalid_variable_name_is_AGS1005_without_echoing_the_value(string entry)
    {
        var error = Fails(Inputs(environmentVariables: [entry]));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentEnvironmentVariables", error.Message);
        Assert.DoesNotContain(Secret, error.Message);
        Assert.DoesNotContain("FAKE", error.Message);
    }

    [Fact]
    public void Secret_given_where_a_name_belongs_is_not_echoed()
    {
        // <AgentEnvironmentVariables>$(ANTHROPIC_API_KEY)</AgentEnvironmentVariables> makes the key itself the entry.
        var error = Fails(Inputs(environmentVariables: [Secret]));

        Assert.Equal("AGS1005", error.Code);
        Assert.DoesNotContain(Secret, error.Message);
    }

    [Fact]
    public void Credential_given_only_in_the_list_counts()
    {
        var env = Env(Spec(Inputs(environmentVariables: ["ANTHROPIC_API_KEY=" + Secret]), Host()));

        Assert.Equal(Secret, env["ANTHROPIC_API_KEY"]);
    }

    [Fact]
    public void Credential_named_in_the_list_is_taken_from_the_host()
    {
        var env = Env(Spec(Inputs(environmentVariables: ["CLAUDE_CODE_OAUTH_TOKEN"]), Host(("CLAUDE_CODE_OAUTH_TOKEN", Secret))));

        Assert.Equal(Secret, env["CLAUDE_CODE_OAUTH_TOKEN"]);
    }

    [Fact]
    public void List_value_overrides_the_host_value()
    {
        var env = Env(Spec(Inputs(environmentVariables: ["ANTHROPIC_BASE_URL=http://other"]),
            Host(("ANTHROPIC_API_KEY", Secret), ("ANTHROPIC_BASE_URL", "http://host"))));

        Assert.Equal("http://other", env["ANTHROPIC_BASE_URL"]);
    }

    [Fact]
    public void Root_user_gets_IS_SANDBOX()
    {
        Assert.Equal("1", Env(Spec(Inputs(), user: Root))["IS_SANDBOX"]);
    }

    [Fact]
    public void Ordinary_user_does_not_get_IS_SANDBOX()
    {
        Assert.False(Env(Spec(Inputs(), user: User)).ContainsKey("IS_SANDBOX"));
    }

    [Fact]
    public void Spec_keeps_the_inputs()
    {
        var spec = Spec(Inputs());

        Assert.Equal("AgentRun", spec.TargetName);
        Assert.Equal(_temp.Path, spec.ProjectDirectory);
        Assert.Equal("claude", spec.Agent.Kind);
        Assert.Equal("2.1.328", spec.Invocation.Version.ToNormalizedString());
        Assert.Equal(User, spec.User);
    }

    [Fact]
    public void Container_environment_shows_names_but_never_values()
    {
        var spec = Spec(Inputs(environmentVariables: ["EXTRA=" + Secret + "-2"]));

        var text = spec.Environment.ToString();

        Assert.Contains("ANTHROPIC_API_KEY", text);
        Assert.Contains("EXTRA", text);
        Assert.DoesNotContain(Secret, text);
    }

    [Fact]
    public void Spec_text_never_contains_a_secret()
    {
        var spec = Spec(Inputs(environmentVariables: ["EXTRA=" + Secret + "-2"]),
            Host(("ANTHROPIC_API_KEY", Secret), ("ANTHROPIC_AUTH_TOKEN", Secret + "-token")));

        Assert.DoesNotContain(Secret, spec.ToString());
        Assert.DoesNotContain(Secret, spec.Invocation.ToString());
        Assert.DoesNotContain(Secret, string.Join(" ", spec.Command));
        Assert.Contains(Secret, spec.Environment.Variables["ANTHROPIC_API_KEY"]);
    }

    [Fact]
    public void Command_is_the_agents_argument_vector_for_the_invocation()
    {
        var spec = Spec(Inputs(prompt: "Fix it; rm -rf /", model: "opus", maxTurns: "3"));

        Assert.Equal(["claude", "-p"], spec.Command.Take(2));
        Assert.Equal(["--model", "opus", "--max-turns", "3", "--", "Fix it; rm -rf /"], spec.Command.TakeLast(6));
    }

    [Fact]
    public void Max_turns_with_codex_is_dropped_with_warning_AGS1102()
    {
        var (spec, warnings) = CreateRun(Inputs(agentKind: "codex", maxTurns: "3"), Host(("OPENAI_API_KEY", Secret)), User);

        var warning = Assert.Single(warnings);
        Assert.Equal("AGS1102", warning.Code);
        Assert.Contains("AgentMaxTurns", warning.Message);
        Assert.Contains("Codex 0.169.0", warning.Message);
        Assert.Contains("claude", warning.Message);
        Assert.Null(spec.Invocation.MaxTurns);
        Assert.DoesNotContain("3", spec.Command.SkipLast(1));
    }

    [Theory]
    [InlineData("OPENAI_API_KEY")]
    [InlineData("CODEX_API_KEY")]
    public void Codex_is_told_the_name_of_the_key_variable_that_is_set(string variable)
    {
        var spec = Spec(Inputs(agentKind: "codex"), Host((variable, Secret)));

        Assert.Equal(variable, spec.Invocation.CredentialVariable);
        Assert.Contains($"env_key=\"{variable}\"", string.Join(" ", spec.Command));
        Assert.DoesNotContain(Secret, string.Join(" ", spec.Command));
    }

    [Fact]
    public void Codex_key_given_in_AgentEnvironmentVariables_counts_too()
    {
        var spec = Spec(Inputs(agentKind: "codex", environmentVariables: ["CODEX_API_KEY=" + Secret]), Host());

        Assert.Equal("CODEX_API_KEY", spec.Invocation.CredentialVariable);
    }

    [Fact]
    public void Codex_base_url_is_an_argument_and_masked_wherever_it_would_be_shown()
    {
        const string gateway = "http://127.0.0.1:8080/v1/gateway-token-0123";
        var spec = Spec(Inputs(agentKind: "codex", network: "host"), Host(("OPENAI_API_KEY", Secret), ("OPENAI_BASE_URL", $" {gateway} ")));

        Assert.Equal(gateway, spec.Invocation.BaseUrl);
        Assert.Contains(spec.Command, argument => argument.Contains(gateway, StringComparison.Ordinal));
        // A gateway URL may carry a token: the logged command line and the agent's output show it masked.
        Assert.DoesNotContain(gateway, spec.Environment.Redact(string.Join(" ", spec.Command)));
    }

    [Theory]
    [InlineData("gw.example/v1")]
    [InlineData("ftp://gw.example/v1")]
    [InlineData("file:///etc/passwd")]
    [InlineData("sk-pasted-key-by-mistake")]
    public void Codex_base_url_that_is_no_http_url_is_AGS1005_without_its_value(string url)
    {
        var error = Fails(Inputs(agentKind: "codex"), Host(("OPENAI_API_KEY", Secret), ("OPENAI_BASE_URL", url)));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("OPENAI_BASE_URL", error.Message);
        Assert.DoesNotContain(url, error.Message);
    }

    [Theory]
    [InlineData("claude", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "http://127.0.0.1:8080", null)]
    [InlineData("claude", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "http://localhost:8080/", "bridge")]
    [InlineData("codex", "OPENAI_BASE_URL", "OPENAI_API_KEY", "https://127.5.6.7/v1", "none")]
    [InlineData("gemini", "GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY", "http://[::1]:9000", "my-network")]
    public void A_loopback_base_url_off_the_host_network_is_AGS1010_before_anything_runs(string agent, string variable, string key, string url, string? network)
    {
        var error = Fails(Inputs(agentKind: agent, network: network), Host((key, Secret), (variable, url + "?token=gateway-secret")));

        Assert.Equal("AGS1010", error.Code);
        Assert.Contains(variable, error.Message);
        Assert.Contains("AgentNetwork=host", error.Message);
        Assert.DoesNotContain("gateway-secret", error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", "host")]
    [InlineData("http://172.17.0.1:8080", "bridge")]
    [InlineData("https://gateway.example/anthropic", "bridge")]
    public void A_base_url_the_container_can_reach_is_taken(string url, string? network)
    {
        var spec = Spec(Inputs(network: network), Host(("ANTHROPIC_API_KEY", Secret), ("ANTHROPIC_BASE_URL", url)));

        Assert.Equal(url, spec.Environment.Variables["ANTHROPIC_BASE_URL"]);
    }

    [Fact]
    public void A_Claude_base_url_that_is_no_http_url_is_AGS1005_without_its_value()
    {
        var error = Fails(Inputs(), Host(("ANTHROPIC_API_KEY", Secret), ("ANTHROPIC_BASE_URL", "sk-ant-pasted-here")));

        Assert.Equal("AGS1005", error.Code);
        Assert.DoesNotContain("sk-ant-pasted-here", error.Message);
    }

    [Fact]
    public void Codex_without_a_key_is_AGS1006_naming_both_variables()
    {
        var error = Fails(Inputs(agentKind: "codex"), WithKey);

        Assert.Equal("AGS1006", error.Code);
        Assert.Contains("OPENAI_API_KEY, CODEX_API_KEY", error.Message);
    }
}
