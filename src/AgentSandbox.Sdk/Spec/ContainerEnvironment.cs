namespace AgentSandbox.Spec;

/// <summary>
/// Variables for the agent's container. Values may be secrets: they leave this object only for the engine's
/// create-container call, and <see cref="ToString"/> shows names only, so logging a spec never leaks one.
/// </summary>
public sealed class ContainerEnvironment
{
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _variables.Keys;

    /// <summary>True when the variable is set to something: an empty credential is no credential.</summary>
    public bool HasValue(string name) => _variables.TryGetValue(name, out var value) && value.Length > 0;

    public void Set(string name, string value) => _variables[name] = value;

    /// <summary>The values, for the engine call only.</summary>
    public IList<string> ToDockerEnv() => _variables.Select(variable => $"{variable.Key}={variable.Value}").ToList();

    public override string ToString() => string.Join(", ", _variables.Keys);
}
