namespace AgentSandbox.Docker;

/// <summary>What the sandbox asks of an engine about images: find one, pull one, build one.</summary>
internal interface IImageEngine
{
    /// <returns>The image's ID and architecture when the engine has it, else null.</returns>
    Task<EngineImage?> InspectImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>Every image that carries <paramref name="label"/>, with its labels.</summary>
    Task<IReadOnlyList<EngineResource>> ListImagesLabelledAsync(string label, CancellationToken cancellationToken);

    /// <summary>Pulls an image (anonymously).</summary>
    /// <returns>Null on success, else the engine's reason (no such image, registry unreachable, denied).</returns>
    Task<string?> PullImageAsync(string image, IProgress<EngineProgress> progress, CancellationToken cancellationToken);

    /// <summary>Gives an image a name in a registry and pushes it there.</summary>
    /// <param name="target">registry/repository:tag.</param>
    /// <param name="credential">The registry's login; null for none.</param>
    /// <returns>The digest of what was pushed (sha256:...).</returns>
    Task<string> PushImageAsync(string image, string target, RegistryLogin? credential, CancellationToken cancellationToken);

    /// <summary>Builds an image; a failed step is reported through <paramref name="progress"/>, as the engine streams it.</summary>
    Task BuildImageAsync(ImageBuildRequest request, IProgress<EngineProgress> progress, CancellationToken cancellationToken);
}
