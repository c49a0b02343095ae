using AgentSandbox.Agents;
using NuGet.Versioning;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The Gemini CLI command line per version, its settings file and what its exit codes mean.</summary>
public sealed class GeminiCliProfileTests
{
    private static readonly GeminiCliProfile Profile = new();

    private static IReadOnlyList<string> Command(string version, string prompt = "Fix the build", string? model = null, IReadOnlyList<string>? extra = null) =>
        Profile.BuildCommand(new AgentInvocation(prompt, NuGetVersion.Parse(version), Model: model, ExtraArguments: extra));

    [Fact]
    public void Latest_runs_headless_with_stream_json_yolo_and_a_trusted_folder()
    {
        Assert.Equal(
            ["gemini", "--prompt=Fix the build", "--output-format", "stream-json", "--approval-mode", "yolo", "--skip-trust"],
            Command("0.61.0"));
    }

    [Theory]
    [InlineData("0.11.3", "stream-json")]
    [InlineData("0.12.0", "stream-json")]
    [InlineData("0.10.0", "json")]
    [InlineData("0.6.1", "json")]
    public void Output_format_is_the_best_the_version_has_and_skip_trust_only_where_it_exists(string version, string format)
    {
        Assert.Equal(["gemini", "--prompt=p", "--output-format", format, "--approval-mode", "yolo"], Command(version, "p"));
    }

    [Fact]
    public void Before_json_output_the_text_is_all_there_is()
    {
        Assert.Equal(["gemini", "--prompt=p", "--approval-mode", "yolo"], Command("0.2.2", "p"));
    }

    [Fact]
    public void Before_approval_mode_yolo_is_its_own_flag()
    {
        Assert.Equal(["gemini", "--prompt=p", "--yolo"], Command("0.1.19", "p"));
    }

    [Theory]
    [InlineData("Say \"hello\" to the world")]
    [InlineData("It's Bob's code, isn't it?")]
    [InlineData("First line\nsecond line\r\nthird line")]
    [InlineData("$(rm -rf /)")]
    [InlineData("-x")]
    [InlineData("--model opus --yolo")]
    [InlineData("- Add XML docs\n- Keep behaviour")]
    [InlineData("a=b=c")]
    [InlineData("  leading and trailing spaces  ")]
    public void Prompt_is_one_argument_whatever_it_contains(string prompt)
    {
        foreach (var version in new[] { "0.61.0", "0.11.3", "0.6.1", "0.2.2" })
        {
            var command = Command(version, prompt);

            // Verified with the real CLIs: yargs takes everything after the first "=" as the value, even "-x".
            Assert.Single(command, argument => argument.Contains(prompt, StringComparison.Ordinal));
            Assert.Equal("--prompt=" + prompt, command[1]);
        }
    }

    [Fact]
    public void Model_and_extra_arguments_follow_in_order()
    {
        Assert.Equal(["--skip-trust", "-m", "gemini-2.5-flash", "--include-directories", "/tmp"],
            Command("0.61.0", model: "gemini-2.5-flash", extra: ["--include-directories", "/tmp"]).Skip(6));
    }

    [Fact]
    public void Blank_model_is_not_passed()
    {
        Assert.DoesNotContain("-m", Command("0.61.0", model: " "));
    }

    [Theory]
    [InlineData(nameof(AgentSetting.Model), true)]
    [InlineData(nameof(AgentSetting.ExtraArguments), true)]
    [InlineData(nameof(AgentSetting.Version), true)]
    [InlineData(nameof(AgentSetting.MaxTurns), false)]
    [InlineData(nameof(AgentSetting.MaxBudgetUsd), false)]
    public void Supports_model_but_no_turn_limit_or_budget(string settingName, bool supported)
    {
        var setting = Enum.Parse<AgentSetting>(settingName);

        Assert.Equal(supported, Profile.Supports(setting, Profile.DefaultVersion));
        Assert.Equal(supported, Profile.Supports(setting, NuGetVersion.Parse("0.6.1")));
    }

    [Fact]
    public void Profile_names_its_package_executable_credential_and_endpoint()
    {
        Assert.Equal("gemini", Profile.Kind);
        Assert.Equal("Gemini CLI 0.61.0", ((IAgentProfile)Profile).Describe(Profile.DefaultVersion));
        Assert.Equal("@google/gemini-cli", Profile.NpmPackage);
        Assert.Equal("gemini", Profile.Executable);
        Assert.Equal(["GEMINI_API_KEY"], Profile.CredentialVariables);
        Assert.Equal("GOOGLE_GEMINI_BASE_URL", Profile.BaseUrlVariable);
        Assert.Contains("GOOGLE_GEMINI_BASE_URL", Profile.OptionalVariables);
        Assert.Equal("https://generativelanguage.googleapis.com", Profile.DefaultBaseUrl);
        Assert.Equal([new ProxiedCredential("GEMINI_API_KEY", "x-goog-api-key", "{value}")], Profile.ProxiedCredentials);
        Assert.Equal("false", Profile.SandboxEnvironment["GEMINI_SANDBOX"]);
        Assert.Equal("true", Profile.SandboxEnvironment["GEMINI_CLI_TRUST_WORKSPACE"]);
        Assert.IsType<GeminiCliProfile>(AgentProfiles.Find("Gemini"));
    }

    [Theory]
    [InlineData("0.61.0", """{"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false}}""")]
    [InlineData("0.3.4", """{"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false}}""")]
    [InlineData("0.2.2", """{"selectedAuthType":"gemini-api-key","usageStatisticsEnabled":false}""")]
    public void System_settings_select_the_key_and_turn_usage_statistics_off_in_the_versions_format(string version, string settings)
    {
        var files = Profile.ImageFiles(NuGetVersion.Parse(version));

        Assert.Equal(settings, Assert.Single(files, file => file.Key == "/etc/gemini-cli/settings.json").Value);
    }

    [Theory]
    [InlineData(41, "authentication failed")]
    [InlineData(53, "turn limit")]
    [InlineData(55, "not trusted")]
    [InlineData(145, "HTTP 401")]
    [InlineData(147, "HTTP 403")]
    public void Exit_codes_of_the_cli_are_explained(long code, string meaning)
    {
        Assert.Contains(meaning, Profile.ExplainExitCode(code));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(137)]
    public void Other_exit_codes_are_left_unexplained(long code)
    {
        Assert.Null(Profile.ExplainExitCode(code));
    }

    [Fact]
    public void Claude_has_no_image_files_or_exit_code_meanings()
    {
        IAgentProfile claude = new ClaudeCodeProfile();

        Assert.Empty(claude.ImageFiles(claude.DefaultVersion));
        Assert.Null(claude.ExplainExitCode(41));
    }

    [Theory]
    [InlineData("0.61.0", true)]
    [InlineData("0.6.1", true)]
    [InlineData("0.6.0", false)]
    [InlineData("0.2.2", false)]
    public void Only_the_json_formats_have_a_result_event_whose_absence_is_worth_a_warning(string version, bool expected)
    {
        Assert.Equal(expected, ((IAgentProfile)Profile).PrintsResultEvent(NuGetVersion.Parse(version)));
    }
}
