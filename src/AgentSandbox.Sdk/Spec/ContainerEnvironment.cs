namespace AgentSandbox.Spec;

/// <summary>
/// Variables for the agent's container. Values may be secrets: they leave this object only for the engine's
/// create-container call, and <see cref="ToString"/> shows names only, so logging a spec never leaks one.
/// </summary>
public sealed class ContainerEnvironment
{
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _variables.Keys;

    public bool Contains(string name) => _variables.ContainsKey(name);

    public void Set(string name, string value) => _variables[name] = value;

    /// <summary>The values, for the engine call only.</summary>
    public IList<string> ToDockerEnv() => _variables.Select(variable => $"{variable.Key}={variable.Value}").ToList();

    public override string ToString() => string.Join(", ", _variables.Keys);
}
