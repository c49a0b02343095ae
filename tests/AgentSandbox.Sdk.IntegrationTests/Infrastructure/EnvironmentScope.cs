namespace AgentSandbox.Sdk.IntegrationTests.Infrastructure;

/// <summary>Sets environment variables for one test and puts the old values back afterwards.</summary>
public sealed class EnvironmentScope : IDisposable
{
    /// <summary>Every variable an agent profile reads as a credential or endpoint: tests start from none of them.</summary>
    public static readonly string[] AgentVariables =
        ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL",
         "OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORGANIZATION", "OPENAI_PROJECT",
         "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GEMINI_MODEL"];

    private readonly Dictionary<string, string?> _saved = new();

    public EnvironmentScope(IReadOnlyDictionary<string, string?> variables)
    {
        foreach (var name in AgentVariables.Concat(variables.Keys).Distinct())
        {
            _saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, variables.TryGetValue(name, out var value) ? value : null);
        }
    }

    public static EnvironmentScope WithApiKey(string key = "sk-ant-test-not-a-real-key") =>
        new(new Dictionary<string, string?> { ["ANTHROPIC_API_KEY"] = key });

    /// <summary>A key, and the (fake) API the agent is to reach with it.</summary>
    public static EnvironmentScope WithApi(string key, Uri baseUrl) => WithApi("ANTHROPIC_API_KEY", key, "ANTHROPIC_BASE_URL", baseUrl);

    /// <summary>An OpenAI key, and the (fake) API that Codex is to reach with it.</summary>
    public static EnvironmentScope WithOpenAiApi(string key, Uri baseUrl) => WithApi("OPENAI_API_KEY", key, "OPENAI_BASE_URL", baseUrl);

    private static EnvironmentScope WithApi(string keyVariable, string key, string baseUrlVariable, Uri baseUrl) =>
        new(new Dictionary<string, string?> { [keyVariable] = key, [baseUrlVariable] = baseUrl.ToString() });

    public void Dispose()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}

/// <summary>Tests that build with MSBuild in-process share the process environment and BuildManager: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MSBuildCollection
{
    public const string Name = "MSBuild in-process";
}
