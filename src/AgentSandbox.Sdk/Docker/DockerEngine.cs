using System.Net.Sockets;
using System.Text;
using AgentSandbox.Common;
using AgentSandbox.Egress;
using AgentSandbox.Errors;
using Docker.DotNet;
using Docker.DotNet.Models;
using Version = System.Version;

namespace AgentSandbox.Docker;

/// <summary>
/// Every call AgentSandbox makes to the Docker engine, the only place that knows Docker.DotNet's types, and the
/// translation of engine failures into coded errors.
/// The endpoint is resolved like the docker CLI does (DOCKER_HOST, then the current context) unless one is given.
/// Calls that work on any API version go unversioned; the rest use a client pinned to the negotiated version,
/// which is negotiated only when first needed, so that finding an existing image costs one request.
/// </summary>
internal sealed class DockerEngine : IImageEngine, IContainerEngine, IDisposable
{
    /// <summary>How long the first contact may take before the engine counts as unreachable.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly DockerClient _unversioned;
    private readonly string? _explicitEndpoint;
    private DockerClient? _pinned;

    private DockerEngine(DockerClient unversioned, string? explicitEndpoint)
    {
        _unversioned = unversioned;
        _explicitEndpoint = explicitEndpoint;
        Endpoint = unversioned.Options.Endpoint.ToString();
    }

    public string Endpoint { get; }

    public Version? ApiVersion { get; private set; }

    /// <param name="dockerHost">An endpoint such as unix:///var/run/docker.sock or tcp://host:2375; null for the CLI's resolution.</param>
    public static DockerEngine Connect(string? dockerHost)
    {
        var endpoint = string.IsNullOrWhiteSpace(dockerHost) ? null : dockerHost.Trim();
        try
        {
            return new DockerEngine(CreateClient(endpoint, apiVersion: null), endpoint);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Unsupported schemes (ssh://), malformed DOCKER_HOST, unreadable Docker config or context.
            throw Diagnostics.EngineUnreachable(endpoint ?? Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "the current Docker context", exception.Message.TrimEnd('.'), exception);
        }
    }

    /// <summary>Unversioned: it works on any API version.</summary>
    public Task<EngineImage?> InspectImageAsync(string image, CancellationToken cancellationToken) =>
        CallAsync("inspect an image", _unversioned, async (client, token) =>
        {
            try
            {
                var found = await client.Images.InspectImageAsync(image, token).ConfigureAwait(false);
                return (EngineImage?)new EngineImage(found.ID, found.Architecture);
            }
            catch (DockerImageNotFoundException)
            {
                return null;
            }
        }, cancellationToken, firstContact: _pinned is null);

    public async Task<string?> PullImageAsync(string image, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        var (name, tag) = SplitReference(image);
        var failure = new ProgressTranslator(progress);
        return await CallAsync("pull an image", await PinnedAsync(cancellationToken).ConfigureAwait(false), async (client, token) =>
        {
            try
            {
                await client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = name, Tag = tag }, null, failure, token).ConfigureAwait(false);
                return failure.Error;
            }
            catch (DockerApiException refused)
            {
                return EngineMessage(refused);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> PushImageAsync(string image, string target, RegistryLogin? credential, CancellationToken cancellationToken)
    {
        var client = await PinnedAsync(cancellationToken).ConfigureAwait(false);
        var (repository, tag) = SplitReference(target);
        await CallAsync("name an image for its registry", client,
            (c, token) => c.Images.TagImageAsync(image, new ImageTagParameters { RepositoryName = repository, Tag = tag }, token), cancellationToken).ConfigureAwait(false);
        var progress = new PushProgress();
        await CallAsync("push an image", client, (c, token) => c.Images.PushImageAsync(repository, new ImagePushParameters { Tag = tag },
            new AuthConfig { Username = credential?.Username, Password = credential?.Password, IdentityToken = credential?.IdentityToken, ServerAddress = RegistryOf(target) },
            progress, token), cancellationToken).ConfigureAwait(false);
        return progress.Error is { } error
            ? throw Diagnostics.ImagePushFailed(target, Text.Loggable(error))
            : progress.Digest ?? throw Diagnostics.ImagePushFailed(target, "the registry named no digest for it");
    }

    /// <summary>The registry part of a reference (host, host:port); docker.io for a reference without one.</summary>
    internal static string RegistryOf(string reference)
    {
        var first = reference.Split('/')[0];
        return reference.Contains('/', StringComparison.Ordinal) && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            ? first : "docker.io";
    }

    /// <summary>A push's stream: its error, or the digest its last status line names ("TAG: digest: sha256:... size: N").</summary>
    private sealed class PushProgress : IProgress<JSONMessage>
    {
        public string? Error { get; private set; }

        public string? Digest { get; private set; }

        public void Report(JSONMessage value)
        {
            if (value.Error?.Message is { Length: > 0 } error)
            {
                Error = error;
            }
            if (value.Status is { } status && status.IndexOf("digest: sha256:", StringComparison.Ordinal) is var at and >= 0)
            {
                Digest = status[(at + "digest: ".Length)..].Split(' ')[0];
            }
        }
    }

    public async Task BuildImageAsync(ImageBuildRequest request, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        var parameters = new ImageBuildParameters
        {
            Tags = [request.Tag],
            Dockerfile = request.Dockerfile,
            NetworkMode = request.Network,
            Remove = true,
            ForceRemove = true,
            Labels = request.Labels.ToDictionary(),
            BuildArgs = request.BuildArguments.ToDictionary(),
        };
        await CallAsync("build an image", await PinnedAsync(cancellationToken).ConfigureAwait(false),
            (client, token) => client.Images.BuildImageFromDockerfileAsync(parameters, request.Context, null, null, new ProgressTranslator(progress), token),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> NetworkExistsAsync(string network, CancellationToken cancellationToken)
    {
        var client = await PinnedAsync(cancellationToken).ConfigureAwait(false);
        var networks = await CallAsync("list networks", client,
            (c, token) => c.Networks.ListNetworksAsync(new NetworksListParameters(), token), cancellationToken).ConfigureAwait(false);
        return networks.Any(n => n.Name == network || n.ID == network);
    }

    public async Task<IReadOnlyList<EngineResource>> ListLabelledAsync(string label, CancellationToken cancellationToken)
    {
        var client = await PinnedAsync(cancellationToken).ConfigureAwait(false);
        var filter = LabelFilter(label);
        var containers = await CallAsync("list containers", client,
            (c, token) => c.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, token), cancellationToken).ConfigureAwait(false);
        var networks = await CallAsync("list networks", client,
            (c, token) => c.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, token), cancellationToken).ConfigureAwait(false);
        var volumes = await CallAsync("list volumes", client,
            (c, token) => c.Volumes.ListAsync(new VolumesListParameters { Filters = filter }, token), cancellationToken).ConfigureAwait(false);
        return
        [
            .. containers.Select(container => new EngineResource(ResourceKind.Container, container.ID, (container.Names?.FirstOrDefault() ?? container.ID).TrimStart('/'), LabelsOf(container.Labels))),
            .. networks.Select(network => new EngineResource(ResourceKind.Network, network.ID, network.Name, LabelsOf(network.Labels))),
            .. (volumes.Volumes ?? []).Select(volume => new EngineResource(ResourceKind.Volume, volume.Name, volume.Name, LabelsOf(volume.Labels))),
        ];
    }

    public async Task<IReadOnlyList<EngineResource>> ListImagesLabelledAsync(string label, CancellationToken cancellationToken)
    {
        var client = await PinnedAsync(cancellationToken).ConfigureAwait(false);
        var filter = LabelFilter(label);
        var images = await CallAsync("list images", client,
            (c, token) => c.Images.ListImagesAsync(new ImagesListParameters { All = false, Filters = filter }, token), cancellationToken).ConfigureAwait(false);
        return images.Select(image => new EngineResource(ResourceKind.Image, image.ID, image.RepoTags?.FirstOrDefault() ?? image.ID, LabelsOf(image.Labels))).ToList();
    }

    /// <summary>A resource's labels as the engine lists them; none when it lists none.</summary>
    private static IReadOnlyDictionary<string, string> LabelsOf(IDictionary<string, string>? labels) =>
        labels is null ? new Dictionary<string, string>() : labels.AsReadOnly();

    /// <summary>The engine's list filter for resources that carry a label.</summary>
    private static Dictionary<string, IDictionary<string, bool>> LabelFilter(string label) =>
        new() { ["label"] = new Dictionary<string, bool> { [label] = true } };

    public async Task RemoveAsync(EngineResource resource, CancellationToken cancellationToken)
    {
        var client = await PinnedAsync(cancellationToken).ConfigureAwait(false);
        await CallAsync($"remove a {resource.Kind.ToString().ToLowerInvariant()}", client, async (c, token) =>
        {
            try
            {
                await (resource.Kind switch
                {
                    ResourceKind.Container => c.Containers.RemoveContainerAsync(resource.Id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, token),
                    ResourceKind.Network => c.Networks.DeleteNetworkAsync(resource.Id, token),
                    ResourceKind.Volume => c.Volumes.RemoveAsync(resource.Id, force: true, token),
                    ResourceKind.Image => c.Images.DeleteImageAsync(resource.Id, new ImageDeleteParameters { Force = true }, token),
                    _ => Task.CompletedTask,
                }).ConfigureAwait(false);
            }
            catch (DockerApiException gone) when (IsGoneOrGoing(gone))
            {
                // Gone meanwhile, or going (its own build's end, another build's sweep at the same moment): what was asked.
            }
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The engine's answer to removing something that is not there, or that another request is removing right now.</summary>
    internal static bool IsGoneOrGoing(DockerApiException refused) => refused.StatusCode == System.Net.HttpStatusCode.NotFound
        || (refused.StatusCode == System.Net.HttpStatusCode.Conflict && EngineMessage(refused).Contains("already in progress", StringComparison.Ordinal));

    public async Task<IReadOnlyList<string>> RuntimesAsync(CancellationToken cancellationToken)
    {
        var client = await PinnedAsync(cancellationToken).ConfigureAwait(false);
        var info = await CallAsync("report its runtimes", client, (c, token) => c.System.GetSystemInfoAsync(token), cancellationToken).ConfigureAwait(false);
        return (info.Runtimes?.Keys ?? []).Order(StringComparer.Ordinal).ToList();
    }

    public async Task<ContainerExit> RunContainerAsync(
        ContainerRequest request, Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        var sockets = request.Egress is not null && EgressSockets.Fit(request) && !SocketsRefusedAt.ContainsKey(Endpoint);
        try
        {
            return await RunAttemptAsync(request, sockets, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketsRefusedException) when (sockets)
        {
            // The engine's default runtime gives containers a kernel of their own (gVisor made the default): the
            // command has not run, and runs now, as every later one of this process, on the isolated network.
            SocketsRefusedAt[Endpoint] = true;
            return await RunAttemptAsync(request, sockets: false, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A container whose relay found the gateway's sockets out of its reach, before its command ran.</summary>
    private sealed class SocketsRefusedException : Exception;

    /// <summary>The engines whose containers could not reach a gateway's sockets, for as long as the build process (an MSBuild node) lives.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> SocketsRefusedAt = new(StringComparer.Ordinal);

    private async Task<ContainerExit> RunAttemptAsync(
        ContainerRequest request, bool sockets, Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        var gateway = request.Egress is { } egress ? new RunningGateway(request, egress, sockets) : null;
        // With the gateway's sockets, the container as it runs then: on no network, its command behind the relay,
        // whose first line (serving, or that it cannot reach them) is the engine's to hear.
        var original = request;
        if (gateway is { Sockets: true })
        {
            request = EgressSockets.AgentSide(request, gateway.Egress);
            (onStdout, onStderr) = (gateway.Hearing(onStdout), gateway.Hearing(onStderr));
        }
        var parameters = CreateParameters(request);
        var client = await PinnedAsync(cancellationToken).ConfigureAwait(false);
        string? id = null;
        var gatewayStarted = Task.CompletedTask;
        try
        {
            if (gateway is not null)
            {
                // The sockets' volume or the network first (the container is created with it), then the gateway starts
                // while the container is created and filled.
                if (gateway.Sockets)
                {
                    await CallAsync("create a volume", client, (c, token) => c.Volumes.CreateAsync(EgressSockets.VolumeParameters(original), token), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await CallAsync("create a network", client, (c, token) => c.Networks.CreateNetworkAsync(IsolatedNetworkParameters(original), token), cancellationToken).ConfigureAwait(false);
                }
                gateway.Made = true;
                gatewayStarted = StartGatewayAsync(client, gateway, cancellationToken);
            }
            id = (await CallAsync("create a container", client, (c, token) => c.Containers.CreateContainerAsync(parameters, token), cancellationToken).ConfigureAwait(false)).ID;
            async Task GatewayReadyAsync()
            {
                await gatewayStarted.ConfigureAwait(false);
                // Its process runs by now, and is ready long before a container's start (its network set up) has
                // returned; a gateway that never says so fails the run.
                await (gateway?.WaitReadyAsync(cancellationToken) ?? Task.CompletedTask).ConfigureAwait(false);
            }
            try
            {
                return request.Files is { } files
                    ? await RunHeldAsync(client, id, request, files, GatewayReadyAsync, gateway, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false)
                    : await RunCommandAsync(client, id, request, GatewayReadyAsync, gateway, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false);
            }
            catch (Errors.AgentSandboxException unreachable) when (Diagnostics.IsEngineUnreachable(unreachable))
            {
                // Reached before the container started, gone since: the engine stopped or restarted under the run.
                throw Diagnostics.EngineLost(Endpoint, Innermost(unreachable).Message, unreachable);
            }
        }
        finally
        {
            if (gateway is not null)
            {
                // However far it got: what it made is removed only once it has stopped making things.
                await Task.WhenAny(gatewayStarted).ConfigureAwait(false);
            }
            // By name when creation was interrupted: the engine may have made the container all the same.
            await Task.WhenAll(RemoveQuietlyAsync(client, id ?? parameters.Name), gateway?.Remove(client) ?? Task.CompletedTask).ConfigureAwait(false);
            if (gateway is { Made: true })
            {
                await CleanUpQuietlyAsync(token => gateway.Sockets
                    ? client.Volumes.RemoveAsync(EgressSockets.Volume(original), force: true, token)
                    : client.Networks.DeleteNetworkAsync(original.Network, token)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A container whose command is its main process: attached, started, its output pumped to its end.</summary>
    private async Task<ContainerExit> RunCommandAsync(DockerClient client, string id, ContainerRequest request, Func<Task> gatewayReady, RunningGateway? gateway,
        Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        using var stream = await CallAsync("attach to a container", client, (c, token) => c.Containers.AttachContainerAsync(
            id, new ContainerAttachParameters { Stream = true, Stdin = request.Stdin is not null, Stdout = true, Stderr = true }, token), cancellationToken).ConfigureAwait(false);
        // On a network of its own the container starts once the gateway serves. Behind the relay it starts beside
        // the gateway (the relay waits for the sockets; the two starts are most of the allowlist's cost), and a gateway
        // that fails ends it, unless the relay has already started the command: the sockets listened, and a ready
        // line late past the timeout does not end an agent that runs.
        var ready = Task.CompletedTask;
        if (gateway is { Sockets: true })
        {
            ready = gatewayReady();
            _ = ready.ContinueWith(failed =>
            {
                _ = failed.Exception;
                if (!gateway.Started)
                {
                    KillInBackground(client, id);
                }
            }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            if (ready.IsFaulted)
            {
                await ready.ConfigureAwait(false);
            }
        }
        else
        {
            await gatewayReady().ConfigureAwait(false);
        }
        await CallAsync("start a container", client, (c, token) => c.Containers.StartContainerAsync(id, new ContainerStartParameters(), token), cancellationToken).ConfigureAwait(false);
        WriteInBackground(stream, request.Stdin, cancellationToken);
        await PumpToEndAsync(client, id, stream, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false);
        if (gateway is { Started: false })
        {
            await ready.ConfigureAwait(false);
        }
        var exit = await CallAsync("wait for a container", client, (c, token) => c.Containers.WaitContainerAsync(id, token), cancellationToken).ConfigureAwait(false);
        gateway?.ThrowIfRefused(exit.StatusCode);
        var outOfMemory = exit.StatusCode == 137 && (await CallAsync("inspect a container", client, (c, token) => c.Containers.InspectContainerAsync(id, token), cancellationToken).ConfigureAwait(false)).State?.OOMKilled == true;
        gateway?.Remove(client);
        return new ContainerExit(exit.StatusCode, outOfMemory);
    }

    /// <summary>
    /// A container held open around its command (<see cref="HeldContainer"/>): the files go in, the command runs as
    /// their owner with its output pumped, everything of the owner's ends with it, and the folder comes back.
    /// <paramref name="stop"/> kills the container, and its files with it: a stopped run applies nothing.
    /// </summary>
    private async Task<ContainerExit> RunHeldAsync(DockerClient client, string id, ContainerRequest request, ContainerFiles files, Func<Task> gatewayReady, RunningGateway? gateway,
        Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        var owner = files.Owner.ToString();
        await CallAsync("start a container", client, (c, token) => c.Containers.StartContainerAsync(id, new ContainerStartParameters(), token), cancellationToken).ConfigureAwait(false);
        await using (var upload = files.Upload())
        {
            await ExecToEndAsync(client, id, HeldContainer.CopyIn(files.Folder), owner, upload, null, "into", cancellationToken).ConfigureAwait(false);
        }
        await gatewayReady().ConfigureAwait(false);
        var (exec, stream) = await StartExecAsync(client, id, HeldContainer.Command(request.Command), owner, request.WorkingDirectory, request.Stdin is not null, cancellationToken).ConfigureAwait(false);
        using (stream)
        {
            WriteInBackground(stream, request.Stdin, cancellationToken);
            await PumpToEndAsync(client, id, stream, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false);
        }
        if (stop.IsCancellationRequested)
        {
            // Killed, or being killed, with its files: a stopped run applies nothing, and a tree half sent is no tree.
            return new ContainerExit(137);
        }
        try
        {
            var code = await ExitCodeAsync(client, exec, cancellationToken).ConfigureAwait(false);
            gateway?.ThrowIfRefused(code);
            var outOfMemory = code == 137 && HeldContainer.CountsMemoryKill(await ExecQuietlyAsync(client, id, HeldContainer.MemoryKills, owner).ConfigureAwait(false));
            gateway?.Remove(client);
            if (files.Received is { } received)
            {
                await ExecToEndAsync(client, id, HeldContainer.CopyOut(files.Folder, files.ChangedOnly), owner, null, received, "out of", cancellationToken).ConfigureAwait(false);
            }
            return new ContainerExit(code, outOfMemory);
        }
        catch (Errors.AgentSandboxException exception) when (!Diagnostics.IsEngineUnreachable(exception))
        {
            if (await IsRunningAsync(client, id).ConfigureAwait(false))
            {
                throw;
            }
            // Killed from outside (docker kill, the engine restarting), and its files with it.
            return new ContainerExit(137);
        }
    }

    /// <summary>
    /// The command's output to its end. A stop or a cancellation kills the container from outside, as the engine's own
    /// kill: nothing the agent could have replaced in the container takes part.
    /// </summary>
    private async Task PumpToEndAsync(DockerClient client, string id, MultiplexedStream stream, Action<string> onStdout, Action<string> onStderr,
        CancellationToken stop, CancellationToken cancellationToken)
    {
        using (stop.Register(() => KillInBackground(client, id)))
        using (cancellationToken.Register(() => KillInBackground(client, id)))
        {
            // Through CallAsync: an engine connection lost mid-run is an engine error, not a file error.
            await CallAsync("stream a container's output", client, (_, token) => PumpLinesAsync(stream, onStdout, onStderr, token), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the container still runs; one that cannot be inspected (removed) does not.</summary>
    private static async Task<bool> IsRunningAsync(DockerClient client, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return (await client.Containers.InspectContainerAsync(id, timeout.Token).ConfigureAwait(false)).State?.Running == true;
        }
        catch (Exception exception) when (exception is DockerApiException or HttpRequestException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Writes a container's standard input in the background (a pipe holds 64 KiB, and the container reads as it goes while its output is pumped), then ends it.</summary>
    private static void WriteInBackground(MultiplexedStream stream, string? input, CancellationToken cancellationToken)
    {
        if (input is null)
        {
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(input);
        _ = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
                stream.CloseWrite();
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // The container ended before it read it all: its exit code tells the rest.
            }
        }, CancellationToken.None);
    }

    private async Task<(string Id, MultiplexedStream Stream)> StartExecAsync(
        DockerClient client, string container, IReadOnlyList<string> command, string user, string? workingDirectory, bool stdin, CancellationToken cancellationToken)
    {
        var exec = await CallAsync("run a process in a container", client, (c, token) => c.Exec.CreateContainerExecAsync(container, new ContainerExecCreateParameters
        {
            Cmd = [.. command],
            User = user,
            WorkingDir = workingDirectory ?? "",
            AttachStdin = stdin,
            AttachStdout = true,
            AttachStderr = true,
        }, token), cancellationToken).ConfigureAwait(false);
        var stream = await CallAsync("run a process in a container", client, (c, token) => c.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), token), cancellationToken).ConfigureAwait(false);
        return (exec.ID, stream);
    }

    /// <summary>
    /// One of the files' copies (tar in the container): <paramref name="input"/> to its standard input, its standard
    /// output to <paramref name="output"/>; anything but a clean end is a coded error with what tar said.
    /// </summary>
    private async Task ExecToEndAsync(DockerClient client, string container, IReadOnlyList<string> command, string user, Stream? input,
        Func<Stream, CancellationToken, Task>? output, string direction, CancellationToken cancellationToken)
    {
        var (exec, stream) = await StartExecAsync(client, container, command, user, null, input is not null, cancellationToken).ConfigureAwait(false);
        var said = new StringBuilder();
        using (stream)
        {
            var pipe = new System.IO.Pipelines.Pipe();
            var reading = CallAsync($"copy files {direction} a container", client, async (_, token) =>
            {
                var buffer = new byte[81920];
                try
                {
                    while ((await stream.ReadOutputAsync(buffer, 0, buffer.Length, token).ConfigureAwait(false)) is { EOF: false } read)
                    {
                        if (read.Target == MultiplexedStream.TargetStream.StandardOut && output is not null)
                        {
                            await pipe.Writer.WriteAsync(buffer.AsMemory(0, read.Count), token).ConfigureAwait(false);
                        }
                        else if (said.Length < 4096)
                        {
                            said.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                        }
                    }
                }
                finally
                {
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
                return true;
            }, cancellationToken);
            var consuming = output is null ? Task.CompletedTask : Task.Run(async () =>
            {
                // However it ends, the reader is done: the writer above never waits for room that will not come.
                await using var received = pipe.Reader.AsStream();
                await output(received, cancellationToken).ConfigureAwait(false);
            }, cancellationToken);
            if (input is not null)
            {
                await CallAsync($"copy files {direction} a container", client, async (_, token) =>
                {
                    var buffer = new byte[81920];
                    int read;
                    while ((read = await input.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
                    {
                        await stream.WriteAsync(buffer, 0, read, token).ConfigureAwait(false);
                    }
                    stream.CloseWrite();
                    return true;
                }, cancellationToken).ConfigureAwait(false);
            }
            await Task.WhenAll(reading, consuming).ConfigureAwait(false);
        }
        var code = await ExitCodeAsync(client, exec, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw HeldContainer.CopyFailed(direction, said.ToString(), code);
        }
    }

    /// <summary>A process's exit code once it has ended: its output's end comes first, its exit a moment later at most.</summary>
    private async Task<long> ExitCodeAsync(DockerClient client, string exec, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var state = await CallAsync("inspect a process in a container", client, (c, token) => c.Exec.InspectContainerExecAsync(exec, token), cancellationToken).ConfigureAwait(false);
            if (state is { Running: false, ExitCode: { } code })
            {
                return code;
            }
            if (attempt == 150)
            {
                throw Diagnostics.EngineRequestFailed(Endpoint, "inspect a process in a container", "it had not ended 30 s after its output did");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10 << Math.Min(attempt, 5), 200)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A short command in the container whose output is all that matters, and whose failure is none of the run's: what it printed, or nothing.</summary>
    private async Task<string> ExecQuietlyAsync(DockerClient client, string container, IReadOnlyList<string> command, string user)
    {
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var (_, stream) = await StartExecAsync(client, container, command, user, null, stdin: false, quick.Token).ConfigureAwait(false);
            using (stream)
            {
                return (await stream.ReadOutputToEndAsync(quick.Token).ConfigureAwait(false)).stdout;
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return "";
        }
    }

    /// <summary>
    /// The isolated network (internal: no route out; no address of the host's on it, so no service of the machine's
    /// is in reach either) and the gateway on it and on the outside network: created, started and configured; the
    /// container it serves starts after this, and the run waits for the gateway's ready line before it goes on.
    /// </summary>
    private async Task StartGatewayAsync(DockerClient client, RunningGateway gateway, CancellationToken cancellationToken)
    {
        var (request, egress) = (gateway.Request, gateway.Egress);
        gateway.Id = (await CallAsync("create a container", client, (c, token) => c.Containers.CreateContainerAsync(GatewayParameters(request, egress, gateway.Sockets), token), cancellationToken).ConfigureAwait(false)).ID;
        if (!gateway.Sockets)
        {
            await CallAsync("connect a container to a network", client, (c, token) => c.Networks.ConnectNetworkAsync(request.Network,
                new NetworkConnectParameters { Container = gateway.Id, EndpointConfig = new EndpointSettings { Aliases = [egress.Alias] } }, token), cancellationToken).ConfigureAwait(false);
        }
        var stream = await CallAsync("attach to a container", client, (c, token) => c.Containers.AttachContainerAsync(
            gateway.Id, new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true }, token), cancellationToken).ConfigureAwait(false);
        gateway.Stream = stream;
        await CallAsync("start a container", client, (c, token) => c.Containers.StartContainerAsync(gateway.Id, new ContainerStartParameters(), token), cancellationToken).ConfigureAwait(false);
        var configuration = Encoding.UTF8.GetBytes(egress.Configuration + "\n");
        await CallAsync("configure the egress proxy", client, async (_, token) =>
        {
            await stream.WriteAsync(configuration, 0, configuration.Length, token).ConfigureAwait(false);
            stream.CloseWrite();
            return true;
        }, cancellationToken).ConfigureAwait(false);

        gateway.Output = Task.Run(() => PumpLinesAsync(stream, gateway.Line, gateway.Line, CancellationToken.None), CancellationToken.None);
    }

    /// <summary>The engine's form of the isolated network a gateway serves.</summary>
    internal static NetworksCreateParameters IsolatedNetworkParameters(ContainerRequest request) => new()
    {
        Name = request.Network,
        Driver = "bridge",
        Internal = true,
        Options = new Dictionary<string, string> { [NoHostAddressOption] = "true" },
        Labels = request.Labels.ToDictionary(),
    };

    /// <summary>Without it the host has an address on every bridge network, and services listening on all its addresses answer there.</summary>
    internal const string NoHostAddressOption = "com.docker.network.bridge.inhibit_ipv4";

    /// <summary>
    /// The engine's form of a gateway: its own code only, so read-only, as nobody, no privileges, little memory. With
    /// <paramref name="sockets"/>, it listens on them only.
    /// </summary>
    internal static CreateContainerParameters GatewayParameters(ContainerRequest request, EgressGateway egress, bool sockets) => new()
    {
        Name = request.GatewayName,
        Image = egress.Image,
        Entrypoint = [egress.Command[0]],
        Cmd = [.. egress.Command.Skip(1), .. sockets ? ["--sockets", EgressSockets.Folder] : (string[])[]],
        User = GatewayUser,
        // No diagnostics socket in /tmp: nothing in it is written.
        Env = ["DOTNET_EnableDiagnostics=0"],
        AttachStdin = true,
        OpenStdin = true,
        StdinOnce = true,
        AttachStdout = true,
        AttachStderr = true,
        Labels = new Dictionary<string, string>(request.Labels) { [PurposeLabel] = "egress" },
        HostConfig = new HostConfig
        {
            NetworkMode = egress.OutsideNetwork,
            // A model gateway on the developer's machine, as Docker Desktop names it.
            ExtraHosts = ["host.docker.internal:host-gateway"],
            CapDrop = ["ALL"],
            SecurityOpt = ["no-new-privileges"],
            PidsLimit = 256,
            Memory = GatewayMemoryBytes,
            MemorySwap = GatewayMemoryBytes,
            ReadonlyRootfs = true,
            Mounts = sockets ? [EgressSockets.GatewayMount(request)] : [],
        },
    };

    private const long GatewayMemoryBytes = 256L * 1024 * 1024;

    /// <summary>nobody: never one of the image's users.</summary>
    private const string GatewayUser = "65534:65534";

    private const string PurposeLabel = "org.agentsandbox.purpose";

    /// <summary>A gateway while it runs: whether it said it is ready, and what to remove afterwards, however far its start got.</summary>
    /// <param name="sockets">Reached through unix sockets (<see cref="EgressSockets"/>), not on an isolated network.</param>
    private sealed class RunningGateway(ContainerRequest request, EgressGateway egress, bool sockets)
    {
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Queue<string> _said = new();
        private Task? _removal;

        public ContainerRequest Request { get; } = request;
        public EgressGateway Egress { get; } = egress;
        public string Name => Request.GatewayName;
        public bool Sockets { get; } = sockets;

        private bool _refused;

        /// <summary>The relay in front of the container's command said it started it: the gateway's sockets listened.</summary>
        public bool Started { get; private set; }

        /// <summary>
        /// The container's lines passed on, but for the relay's own: that it started the command, or that it cannot
        /// reach the sockets. A command's words come after the first, so it cannot pass itself off as the second.
        /// </summary>
        public Action<string> Hearing(Action<string> output) => line =>
        {
            if (!Started && line == SocketRefusal.Started)
            {
                Started = true;
            }
            else if (!Started && !_refused && line.StartsWith(SocketRefusal.Words, StringComparison.Ordinal))
            {
                _refused = true;
            }
            else
            {
                output(line);
            }
        };

        /// <summary>Throws when the relay refused and its command never started.</summary>
        public void ThrowIfRefused(long exitCode)
        {
            if (_refused && !Started && exitCode == SocketRefusal.ExitCode)
            {
                throw new SocketsRefusedException();
            }
        }

        /// <summary>Its sockets' volume or its isolated network is made: it goes once the containers have.</summary>
        public bool Made { get; set; }
        public string? Id { get; set; }
        public MultiplexedStream? Stream { get; set; }
        public Task? Output { get; set; }

        /// <summary>Each line it prints: the first ready line releases <see cref="WaitReadyAsync"/>; the lines before are kept for the error.</summary>
        public void Line(string line)
        {
            if (!_ready.Task.IsCompleted)
            {
                if (Egress.IsReady(line))
                {
                    _ready.TrySetResult();
                }
                else if (_said.Count < 10)
                {
                    _said.Enqueue(line);
                }
            }
            Egress.OnOutput(line);
        }

        public async Task WaitReadyAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(EgressGateway.StartTimeout);
            await Task.WhenAny(_ready.Task, Output ?? Task.CompletedTask, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (!_ready.Task.IsCompleted)
            {
                var reason = _said.Count > 0 ? string.Join(" ", _said)
                    : Output is { IsCompleted: true } ? "it ended without a word"
                    : $"no word from it within {EgressGateway.StartTimeout.TotalSeconds:0} s";
                throw Diagnostics.EgressProxyNotStarted(Egress.Image, reason);
            }
        }

        /// <summary>Removes it (once, whoever asks first), then reads what it printed up to its end: a refusal just before the agent ended counts too.</summary>
        public Task Remove(DockerClient client) => _removal ??= RemoveAsync(client);

        private async Task RemoveAsync(DockerClient client)
        {
            await RemoveQuietlyAsync(client, Id ?? Name).ConfigureAwait(false);
            if (Output is { } output)
            {
                await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
            }
            Stream?.Dispose();
        }
    }

    /// <summary>The engine's form of a container request: its command as the main process, or, with files, held open by <see cref="HeldContainer.Holder"/>.</summary>
    internal static CreateContainerParameters CreateParameters(ContainerRequest request)
    {
        var held = request.Files;
        return new CreateContainerParameters
        {
            Name = request.Name,
            Image = request.Image,
            // The command is an argument vector end to end: no shell ever sees the prompt.
            Entrypoint = [held is null ? request.Command[0] : HeldContainer.Holder[0]],
            Cmd = [.. (held is null ? request.Command : HeldContainer.Holder).Skip(1)],
            // Empty: the image's user.
            User = held is null ? "" : HeldContainer.HolderUser(held.Owner),
            Env = request.Environment.Select(variable => $"{variable.Key}={variable.Value}").ToList(),
            WorkingDir = request.WorkingDirectory,
            AttachStdout = held is null,
            AttachStderr = held is null,
            AttachStdin = held is null && request.Stdin is not null,
            OpenStdin = held is null && request.Stdin is not null,
            StdinOnce = held is null && request.Stdin is not null,
            Labels = request.Labels.ToDictionary(),
            HostConfig = new HostConfig
            {
                Mounts =
                [
                    .. request.Mounts.Select(mount => new Mount { Type = mount.Type, Source = mount.Source, Target = mount.Target, ReadOnly = mount.ReadOnly }),
                    .. request.Caches.Select(cache => new Mount { Type = "volume", Source = cache.Name, Target = cache.Target, VolumeOptions = new VolumeOptions { Labels = cache.Labels.ToDictionary() } }),
                    // On disk under a read-only root: a volume of the container's own, removed with it (RemoveVolumes).
                    .. request.ReadOnlyRootFilesystem && held is { MemoryBytes: null } ? [new Mount { Type = "volume", Target = held.Folder }] : (Mount[])[],
                ],
                ReadonlyRootfs = request.ReadOnlyRootFilesystem,
                NetworkMode = request.Network,
                CapDrop = request.Limits.DropAllCapabilities ? ["ALL"] : [],
                SecurityOpt = request.Limits.NoNewPrivileges ? ["no-new-privileges"] : [],
                PidsLimit = request.Limits.PidsLimit,
                Runtime = request.Runtime,
                // Swap equal to memory: no swap on top of the limit.
                Memory = request.Limits.MemoryBytes ?? 0,
                MemorySwap = request.Limits.MemoryBytes ?? 0,
                NanoCPUs = request.Limits.Cpus is { } cpus ? (long)(cpus * 1_000_000_000) : 0,
                Init = InitOf(request),
                Tmpfs = ScratchOf(request) is { Count: > 0 } scratch ? scratch.ToDictionary(folder => folder.Path, folder => folder.Options) : null,
            },
        };
    }

    /// <summary>Whether the container gets an init process: when asked, and always when held open, as the init reaps what the command's processes leave when they end.</summary>
    internal static bool InitOf(ContainerRequest request) => request.Limits.Init || request.Files is not null;

    /// <summary>The request's folders in memory, with the files' folder when it is one of them.</summary>
    internal static IReadOnlyList<ScratchFolder> ScratchOf(ContainerRequest request) =>
        request.Files is { MemoryBytes: { } bytes } files ? [.. request.Scratch, new ScratchFolder(files.Folder, bytes, files.Owner)] : request.Scratch;

    public void Dispose()
    {
        _pinned?.Dispose();
        _unversioned.Dispose();
    }

    private async Task<DockerClient> PinnedAsync(CancellationToken cancellationToken)
    {
        if (_pinned is not null)
        {
            return _pinned;
        }
        var version = await CallAsync("report its version", _unversioned, (client, token) => client.System.GetVersionAsync(token), cancellationToken, firstContact: true).ConfigureAwait(false);
        ApiVersion = ApiVersions.Negotiate(Endpoint, version.APIVersion, version.MinAPIVersion);
        _pinned = CreateClient(_explicitEndpoint, ApiVersion);
        return _pinned;
    }

    private static DockerClient CreateClient(string? endpoint, Version? apiVersion)
    {
        var builder = new DockerClientBuilder().WithTimeout(Timeout.InfiniteTimeSpan);
        if (endpoint is not null)
        {
            builder = builder.WithEndpoint(new Uri(endpoint));
        }
        if (apiVersion is not null)
        {
            builder = builder.WithApiVersion(apiVersion);
        }
        return builder.Build();
    }

    private async Task<T> CallAsync<T>(string operation, DockerClient client, Func<DockerClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken, bool firstContact = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (firstContact)
        {
            timeout.CancelAfter(ConnectTimeout);
        }
        try
        {
            return await call(client, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException exception) when (firstContact && !cancellationToken.IsCancellationRequested)
        {
            throw Diagnostics.EngineUnreachable(Endpoint, $"no answer within {ConnectTimeout.TotalSeconds:0} s", exception);
        }
        catch (Exception exception) when (IsConnectionFailure(exception))
        {
            if (Innermost(exception) is SocketException { SocketErrorCode: SocketError.AccessDenied })
            {
                throw Diagnostics.EnginePermissionDenied(Endpoint, exception);
            }
            throw Diagnostics.EngineUnreachable(Endpoint, MissingSocket() ?? Innermost(exception).Message.TrimEnd('.'), exception);
        }
        catch (DockerApiException exception)
        {
            throw Diagnostics.EngineRequestFailed(Endpoint, operation, EngineMessage(exception), exception);
        }
    }

    private Task CallAsync(string operation, DockerClient client, Func<DockerClient, CancellationToken, Task> call, CancellationToken cancellationToken, bool firstContact = false) =>
        CallAsync(operation, client, async (c, token) => { await call(c, token).ConfigureAwait(false); return true; }, cancellationToken, firstContact);

    /// <summary>Splits an image reference into name and tag (or digest) the way the pull endpoint wants them.</summary>
    internal static (string Name, string Tag) SplitReference(string image)
    {
        var digest = image.IndexOf('@');
        if (digest >= 0)
        {
            return (image[..digest], image[(digest + 1)..]);
        }
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    /// <summary>The engine's "message" field when the body is its JSON error, else the body.</summary>
    private static string EngineMessage(DockerApiException exception)
    {
        var body = exception.ResponseBody?.Trim() ?? "";
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return body.Length > 0 ? body : exception.StatusCode.ToString();
    }

    /// <summary>The usual reason on Linux and macOS, which the socket error ("cannot assign requested address") hides.</summary>
    private string? MissingSocket() =>
        Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme == "unix" && !File.Exists(uri.LocalPath)
            ? $"there is no socket at {uri.LocalPath}"
            : null;

    private static void KillInBackground(DockerClient client, string id) =>
        _ = client.Containers.KillContainerAsync(id, new ContainerKillParameters(), CancellationToken.None)
            .ContinueWith(kill => _ = kill.Exception, TaskScheduler.Default);

    private static Task RemoveQuietlyAsync(DockerClient client, string? container) => container is null ? Task.CompletedTask
        : CleanUpQuietlyAsync(token => client.Containers.RemoveContainerAsync(container, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, token));

    /// <summary>
    /// Removes something of the run's with a token of its own (it must go also when the build was cancelled), and
    /// never fails: the run's own outcome matters more than a failed cleanup, and the org.agentsandbox labels find leftovers.
    /// </summary>
    private static async Task CleanUpQuietlyAsync(Func<CancellationToken, Task> removal)
    {
        using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await removal(cleanup.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
        }
    }

    /// <summary>
    /// The engine not there, or gone: over TCP the client's socket opener wraps a refused connection in an
    /// AggregateException, over a socket file it does not.
    /// </summary>
    private static bool IsConnectionFailure(Exception exception) => exception is HttpRequestException or SocketException or IOException or TimeoutException
        || (exception is AggregateException aggregate && aggregate.InnerExceptions.All(IsConnectionFailure));

    private static Exception Innermost(Exception exception) => exception.InnerException is null ? exception : Innermost(exception.InnerException);

    private static async Task PumpLinesAsync(MultiplexedStream stream, Action<string> onStdout, Action<string> onStderr, CancellationToken cancellationToken)
    {
        var stdout = new LineSplitter(onStdout);
        var stderr = new LineSplitter(onStderr);
        var buffer = new byte[81920];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            if (read.EOF)
            {
                break;
            }
            (read.Target == MultiplexedStream.TargetStream.StandardError ? stderr : stdout).Append(buffer.AsSpan(0, read.Count));
        }
        stdout.Flush();
        stderr.Flush();
    }

    /// <summary>
    /// Passes the engine's stream on as our own progress messages, and remembers the error a streaming endpoint
    /// reports in-band.
    /// </summary>
    private sealed class ProgressTranslator(IProgress<EngineProgress> inner) : IProgress<JSONMessage>
    {
        public string? Error { get; private set; }

        public void Report(JSONMessage value)
        {
            if (value.Error?.Message is { Length: > 0 } error)
            {
                Error = error;
            }
            inner.Report(new EngineProgress(value.Stream ?? value.Status, value.Error?.Message));
        }
    }
}
