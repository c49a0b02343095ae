namespace AgentSandbox.Spec;

/// <summary>What the sandbox's containers may use of the machine (AgentMemoryLimit, AgentCpuLimit).</summary>
/// <param name="MemoryBytes">Memory, with no swap beyond it; null for none.</param>
/// <param name="Cpus">CPUs, fractions allowed; null for all of the machine's.</param>
/// <param name="TmpBytes">The size of the tmpfs at /tmp (AgentTmpSize), which counts against the memory.</param>
internal sealed record SandboxLimits(long? MemoryBytes, double? Cpus, long TmpBytes = SandboxLimits.DefaultTmpBytes)
{
    /// <summary>4 GiB: Claude Code with a dotnet build of a sizeable solution fits; a runaway agent does not take the machine.</summary>
    public const long DefaultMemoryBytes = 4L * 1024 * 1024 * 1024;

    /// <summary>1 GiB: the sandbox builds' output (ArtifactsPath is under /tmp) of a sizeable solution fits.</summary>
    public const long DefaultTmpBytes = 1L * 1024 * 1024 * 1024;

    public static SandboxLimits Default { get; } = new(DefaultMemoryBytes, null);

    /// <summary>
    /// Copy mode's workspace in memory, where the engine writes it several times faster than to a disk: the size of
    /// its tmpfs when a tree of <paramref name="treeBytes"/> takes at most an eighth of the memory (512 MiB of the
    /// default 4 GiB), which leaves room for the agent's own files and builds; null (on disk) for a larger tree.
    /// </summary>
    public long? WorkspaceInMemory(long treeBytes)
    {
        var memory = MemoryBytes ?? DefaultMemoryBytes;
        return treeBytes <= memory / 8 ? memory / 2 : null;
    }
}
