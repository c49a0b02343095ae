namespace AgentSandbox.Spec;

/// <summary>
/// Variables for a container, immutable. Values may be secrets: they leave this object only for the engine's
/// create-container call, <see cref="ToString"/> shows names only, and <see cref="Redact"/> takes secret values
/// out of anything the container prints before it is logged or stored.
/// </summary>
internal sealed class ContainerEnvironment
{
    /// <summary>Shorter values ("1", "true") are settings, and replacing them would mangle ordinary output.</summary>
    private const int ShortestRedactedValue = 4;

    private const string Mask = "***";

    public static ContainerEnvironment Empty { get; } = new([], []);

    // Insertion order: the engine and the log see the variables in the order they were given.
    private readonly KeyValuePair<string, string>[] _variables;
    private readonly string[] _secretNames;

    /// <summary>What <see cref="Redact"/> masks, longest first: worked out once, as every line the agent prints goes through it.</summary>
    private readonly string[] _masked;

    private ContainerEnvironment(KeyValuePair<string, string>[] variables, string[] secretNames)
    {
        (_variables, _secretNames) = (variables, secretNames);
        // The trimmed form too: a value pasted with a stray space is used trimmed where it becomes an argument.
        _masked = variables.Where(variable => secretNames.Contains(variable.Key)).Select(variable => variable.Value)
            .SelectMany(value => new[] { value, value.Trim() }).Distinct()
            .Where(value => value.Length >= ShortestRedactedValue).OrderByDescending(value => value.Length).ToArray();
    }

    public IReadOnlyCollection<string> Names => _variables.Select(variable => variable.Key).ToList();

    /// <summary>The values, for the engine's create-container call only.</summary>
    public IReadOnlyDictionary<string, string> Variables => _variables.ToDictionary(StringComparer.Ordinal);

    /// <summary>The variables whose values are fixed settings of ours, not secrets: a dry run may show them.</summary>
    public IReadOnlySet<string> SettingNames => _variables.Select(variable => variable.Key).Except(_secretNames, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);

    /// <summary>True when the variable is set to something: an empty credential is no credential.</summary>
    public bool HasValue(string name) => _variables.Any(variable => variable.Key == name && variable.Value.Length > 0);

    /// <summary>This environment with one variable set (replacing an earlier value in its place).</summary>
    /// <param name="secret">False only for fixed settings of ours; anything from the user or the host counts as secret.</param>
    public ContainerEnvironment With(string name, string value, bool secret = true)
    {
        var variables = _variables.Any(variable => variable.Key == name)
            ? _variables.Select(variable => variable.Key == name ? new KeyValuePair<string, string>(name, value) : variable).ToArray()
            : [.. _variables, new KeyValuePair<string, string>(name, value)];
        var secretNames = _secretNames.Where(secretName => secretName != name).ToList();
        if (secret)
        {
            secretNames.Add(name);
        }
        return new ContainerEnvironment(variables, [.. secretNames]);
    }

    /// <summary>This environment without <paramref name="names"/>.</summary>
    public ContainerEnvironment Without(IEnumerable<string> names)
    {
        var removed = names.ToHashSet(StringComparer.Ordinal);
        return new ContainerEnvironment(
            _variables.Where(variable => !removed.Contains(variable.Key)).ToArray(),
            _secretNames.Where(name => !removed.Contains(name)).ToArray());
    }

    /// <summary>This environment with each of <paramref name="variables"/> set.</summary>
    public ContainerEnvironment With(IEnumerable<KeyValuePair<string, string>> variables, bool secret = true) =>
        variables.Aggregate(this, (environment, variable) => environment.With(variable.Key, variable.Value, secret));

    public string Redact(string text)
    {
        foreach (var value in _masked)
        {
            text = text.Replace(value, Mask, StringComparison.Ordinal);
        }
        return text;
    }

    public override string ToString() => string.Join(", ", Names);
}
