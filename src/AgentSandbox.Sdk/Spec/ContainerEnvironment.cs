namespace AgentSandbox.Spec;

/// <summary>
/// Variables for the agent's container. Values may be secrets: they leave this object only for the engine's
/// create-container call, <see cref="ToString"/> shows names only, and <see cref="Redact"/> takes secret values
/// out of anything the container prints before it is logged or stored.
/// </summary>
public sealed class ContainerEnvironment
{
    /// <summary>Shorter values ("1", "true") are settings, and replacing them would mangle ordinary output.</summary>
    private const int ShortestRedactedValue = 4;

    private const string Mask = "***";

    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);
    private readonly HashSet<string> _secretNames = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _variables.Keys;

    /// <summary>True when the variable is set to something: an empty credential is no credential.</summary>
    public bool HasValue(string name) => _variables.TryGetValue(name, out var value) && value.Length > 0;

    /// <param name="secret">False only for fixed settings of ours; anything from the user or the host counts as secret.</param>
    public void Set(string name, string value, bool secret = true)
    {
        _variables[name] = value;
        if (secret)
        {
            _secretNames.Add(name);
        }
        else
        {
            _secretNames.Remove(name);
        }
    }

    /// <summary>The values, for the engine call only.</summary>
    public IList<string> ToDockerEnv() => _variables.Select(variable => $"{variable.Key}={variable.Value}").ToList();

    public string Redact(string text)
    {
        // The trimmed form too: a value pasted with a stray space is used trimmed where it becomes an argument.
        foreach (var value in _secretNames.Select(name => _variables[name]).SelectMany(v => new[] { v, v.Trim() }).Distinct()
                     .Where(v => v.Length >= ShortestRedactedValue).OrderByDescending(v => v.Length))
        {
            text = text.Replace(value, Mask, StringComparison.Ordinal);
        }
        return text;
    }

    public override string ToString() => string.Join(", ", _variables.Keys);
}
