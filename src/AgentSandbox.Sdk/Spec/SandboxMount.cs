namespace AgentSandbox.Spec;

/// <summary>AgentExtraMount: a folder or file of the machine in every container of the run (a package cache, say).</summary>
/// <param name="Source">The full path on the machine, checked.</param>
/// <param name="Target">The absolute path in the container, outside the workspace.</param>
internal sealed record SandboxMount(string Source, string Target, bool ReadOnly)
{
    /// <summary>A local package feed a nuget.config names, mounted for the sandbox's restore; not an AgentExtraMount.</summary>
    public bool LocalFeed { get; init; }
}
