namespace AgentSandbox.Docker;

/// <summary>
/// What the sandbox asks of an engine about containers: run one to its end, and check that a network exists.
/// Nothing here is Docker's own idea: a cluster engine can run the same requests as pods.
/// </summary>
internal interface IContainerEngine
{
    Task<bool> NetworkExistsAsync(string network, CancellationToken cancellationToken);

    /// <summary>Every container, network and volume (a cache) that carries <paramref name="label"/>, with its labels.</summary>
    Task<IReadOnlyList<EngineResource>> ListLabelledAsync(string label, CancellationToken cancellationToken);

    /// <summary>Removes a container (running or not, with its anonymous volumes), a network or an image; one already gone is no error.</summary>
    Task RemoveAsync(EngineResource resource, CancellationToken cancellationToken);

    /// <summary>How many of a kind, in the engine's own words ("2 containers"; "2 pods" on a cluster).</summary>
    string Count(ResourceKind kind, int count) => Common.Text.Count(count, kind.ToString().ToLowerInvariant());

    /// <summary>The container runtimes the engine can run containers with (runc, runsc for gVisor, kata-runtime …).</summary>
    Task<IReadOnlyList<string>> RuntimesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Creates a container, copies <see cref="ContainerRequest.Files"/> in, starts it, hands each line of its output
    /// over as it arrives, waits for its exit code and hands the files to download back.
    /// <paramref name="stop"/> kills the container and still collects its output and exit code (with files, those do
    /// not come back and the exit code is 137);
    /// <paramref name="cancellationToken"/> kills it and abandons the run. The container is removed afterwards
    /// whatever happens.
    /// </summary>
    Task<ContainerExit> RunContainerAsync(
        ContainerRequest request, Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken);
}
