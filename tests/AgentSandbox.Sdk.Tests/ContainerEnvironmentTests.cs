using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

public sealed class ContainerEnvironmentTests
{
    private static ContainerEnvironment Environment() => ContainerEnvironment.Empty
        .With("ANTHROPIC_API_KEY", "sk-ant-secret-value")
        .With("ANTHROPIC_AUTH_TOKEN", "sk-ant-secret")
        .With("IS_SANDBOX", "1", secret: false)
        .With("DISABLE_AUTOUPDATER", "true-ish", secret: false)
        .With("SHORT", "abc");

    [Fact]
    public void Secret_values_are_masked_in_output_longest_first()
    {
        var line = """{"type":"user","content":"ANTHROPIC_API_KEY=sk-ant-secret-value\nANTHROPIC_AUTH_TOKEN=sk-ant-secret"}""";

        var redacted = Environment().Redact(line);

        Assert.DoesNotContain("sk-ant-secret", redacted);
        Assert.Equal("""{"type":"user","content":"ANTHROPIC_API_KEY=***\nANTHROPIC_AUTH_TOKEN=***"}""", redacted);
    }

    [Fact]
    public void Settings_of_ours_and_very_short_values_are_left_alone()
    {
        var line = "IS_SANDBOX=1 DISABLE_AUTOUPDATER=true-ish SHORT=abc exit 1";

        Assert.Equal(line, Environment().Redact(line));
    }

    [Fact]
    public void A_setting_that_was_secret_stops_being_masked_when_set_as_a_setting()
    {
        var environment = ContainerEnvironment.Empty.With("MODE", "verbose-mode").With("MODE", "verbose-mode", secret: false);

        Assert.Equal("verbose-mode", environment.Redact("verbose-mode"));
    }

    [Fact]
    public void Setting_returns_a_new_environment_and_leaves_the_old_one_as_it_was()
    {
        var before = ContainerEnvironment.Empty.With("A", "first-value");

        var after = before.With("A", "second-value").With("B", "third-value");

        Assert.Equal(new Dictionary<string, string> { ["A"] = "first-value" }, before.Variables);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "second-value", ["B"] = "third-value" }, after.Variables);
        Assert.Equal(["A", "B"], after.Names);
    }

    [Fact]
    public void Names_are_shown_and_values_never()
    {
        var text = Environment().ToString();

        Assert.Contains("ANTHROPIC_API_KEY", text);
        Assert.DoesNotContain("sk-ant", text);
    }

    [Fact]
    public void Empty_value_is_no_value()
    {
        var environment = ContainerEnvironment.Empty.With("ANTHROPIC_API_KEY", "");

        Assert.False(environment.HasValue("ANTHROPIC_API_KEY"));
        Assert.False(environment.HasValue("MISSING"));
        Assert.True(Environment().HasValue("ANTHROPIC_API_KEY"));
    }
}
