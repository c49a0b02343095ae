using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSandbox.Common;
using AgentSandbox.Egress;
using AgentSandbox.Errors;

namespace AgentSandbox.Docker;

/// <summary>
/// Every call AgentSandbox makes to the Docker engine, the only place that knows the Engine API's paths and fields
/// (<see cref="EngineConnection"/> carries them), and the translation of engine failures into coded errors.
/// The endpoint is resolved like the docker CLI does (DOCKER_HOST, then the current context) unless one is given.
/// Calls that work on any API version go unversioned; the rest go to the negotiated version's paths, which is
/// negotiated only when first needed, so that finding an existing image costs one request. It holds no connection
/// between calls: each request has its own.
/// </summary>
internal sealed class DockerEngine : IImageEngine, IContainerEngine
{
    /// <summary>How long the first contact may take before the engine counts as unreachable.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly EngineConnection _engine;

    /// <summary>"/v1.41": the negotiated version's paths; null until negotiated.</summary>
    private string? _pinned;

    private DockerEngine(EngineConnection engine)
    {
        _engine = engine;
        Endpoint = engine.Endpoint.ToString();
    }

    public string Endpoint { get; }

    public Version? ApiVersion { get; private set; }

    /// <param name="dockerHost">An endpoint such as unix:///var/run/docker.sock or tcp://host:2375; null for the CLI's resolution.</param>
    public static DockerEngine Connect(string? dockerHost)
    {
        var endpoint = string.IsNullOrWhiteSpace(dockerHost) ? null : dockerHost.Trim();
        try
        {
            return new DockerEngine(EngineConnection.For(EngineEndpoint.Resolve(endpoint, Environment.GetEnvironmentVariable)));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Unsupported schemes (ssh://), malformed DOCKER_HOST, unreadable Docker config or context.
            throw Diagnostics.EngineUnreachable(endpoint ?? Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "the current Docker context", exception.Message.TrimEnd('.'), exception);
        }
    }

    /// <summary>Unversioned: it works on any API version.</summary>
    public Task<EngineImage?> InspectImageAsync(string image, CancellationToken cancellationToken) =>
        CallAsync("inspect an image", async token =>
        {
            try
            {
                var found = await _engine.JsonAsync(HttpMethod.Get, $"/images/{Escaped(image)}/json", null, token).ConfigureAwait(false);
                return (EngineImage?)new EngineImage(Field(found, "Id"), FieldOrNull(found, "Architecture") ?? "unknown");
            }
            catch (EngineApiException missing) when (missing.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken, firstContact: _pinned is null);

    public async Task<string?> PullImageAsync(string image, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        var (name, tag) = SplitReference(image);
        var failure = new ProgressTranslator(progress);
        var path = await PathAsync("/images/create" + Query(("fromImage", name), ("tag", tag)), cancellationToken).ConfigureAwait(false);
        return await CallAsync("pull an image", async token =>
        {
            try
            {
                await _engine.StreamAsync(HttpMethod.Post, path, null, null, failure.Report, token).ConfigureAwait(false);
                return failure.Error;
            }
            catch (EngineApiException refused)
            {
                return EngineMessage(refused);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> PushImageAsync(string image, string target, RegistryLogin? credential, CancellationToken cancellationToken)
    {
        var (repository, tag) = SplitReference(target);
        var tagging = await PathAsync($"/images/{Escaped(image)}/tag" + Query(("repo", repository), ("tag", tag)), cancellationToken).ConfigureAwait(false);
        await CallAsync("name an image for its registry", token => _engine.JsonAsync(HttpMethod.Post, tagging, null, token), cancellationToken).ConfigureAwait(false);
        var progress = new PushProgress();
        var pushing = await PathAsync($"/images/{Escaped(repository)}/push" + Query(("tag", tag)), cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string> { ["X-Registry-Auth"] = RegistryAuth(credential, RegistryOf(target)) };
        await CallAsync("push an image", token => _engine.StreamAsync(HttpMethod.Post, pushing, null, headers, progress.Report, token), cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The registry login as the engine takes it: JSON in URL-safe base64, in a header. Empty fields are left out, and
    /// without a login the engine pushes anonymously.
    /// </summary>
    internal static string RegistryAuth(RegistryLogin? credential, string registry)
    {
        var login = new JsonObject { ["serveraddress"] = registry };
        foreach (var (name, value) in new[] { ("username", credential?.Username), ("password", credential?.Password), ("identitytoken", credential?.IdentityToken) })
        {
            if (!string.IsNullOrEmpty(value))
            {
                login[name] = value;
            }
        }
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(login.ToJsonString())).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>A push's stream: its error, or the digest its last status line names ("TAG: digest: sha256:... size: N").</summary>
    private sealed class PushProgress
    {
        public string? Error { get; private set; }

        public string? Digest { get; private set; }

        public void Report(JsonElement message)
        {
            if (ErrorOf(message) is { Length: > 0 } error)
            {
                Error = error;
            }
            if (TextOf(message, "status") is { } status && status.IndexOf("digest: sha256:", StringComparison.Ordinal) is var at and >= 0)
            {
                Digest = status[(at + "digest: ".Length)..].Split(' ')[0];
            }
        }
    }

    public async Task BuildImageAsync(ImageBuildRequest request, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        var path = await PathAsync("/build" + BuildQuery(request), cancellationToken).ConfigureAwait(false);
        var translator = new ProgressTranslator(progress);
        await CallAsync("build an image", token => _engine.StreamAsync(HttpMethod.Post, path, request.Context, null, translator.Report, token), cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> NetworkExistsAsync(string network, CancellationToken cancellationToken)
    {
        var path = await PathAsync("/networks", cancellationToken).ConfigureAwait(false);
        var networks = await CallAsync("list networks", token => _engine.JsonAsync(HttpMethod.Get, path, null, token), cancellationToken).ConfigureAwait(false);
        return Items(networks).Any(n => Field(n, "Name") == network || Field(n, "Id") == network);
    }

    public async Task<IReadOnlyList<EngineResource>> ListLabelledAsync(string label, CancellationToken cancellationToken)
    {
        var filter = LabelFilter(label);
        var containersPath = await PathAsync("/containers/json" + Query(("all", "1"), ("filters", filter)), cancellationToken).ConfigureAwait(false);
        var containers = await CallAsync("list containers", token => _engine.JsonAsync(HttpMethod.Get, containersPath, null, token), cancellationToken).ConfigureAwait(false);
        var networksPath = await PathAsync("/networks" + Query(("filters", filter)), cancellationToken).ConfigureAwait(false);
        var networks = await CallAsync("list networks", token => _engine.JsonAsync(HttpMethod.Get, networksPath, null, token), cancellationToken).ConfigureAwait(false);
        var volumesPath = await PathAsync("/volumes" + Query(("filters", filter)), cancellationToken).ConfigureAwait(false);
        var volumes = await CallAsync("list volumes", token => _engine.JsonAsync(HttpMethod.Get, volumesPath, null, token), cancellationToken).ConfigureAwait(false);
        return
        [
            .. Items(containers).Select(container => new EngineResource(ResourceKind.Container, Field(container, "Id"),
                (Items(container["Names"]).Select(name => name?.GetValue<string>()).FirstOrDefault() ?? Field(container, "Id")).TrimStart('/'), LabelsOf(container))),
            .. Items(networks).Select(network => new EngineResource(ResourceKind.Network, Field(network, "Id"), Field(network, "Name"), LabelsOf(network))),
            .. Items(volumes?["Volumes"]).Select(volume => new EngineResource(ResourceKind.Volume, Field(volume, "Name"), Field(volume, "Name"), LabelsOf(volume))),
        ];
    }

    public async Task<IReadOnlyList<EngineResource>> ListImagesLabelledAsync(string label, CancellationToken cancellationToken)
    {
        var path = await PathAsync("/images/json" + Query(("filters", LabelFilter(label))), cancellationToken).ConfigureAwait(false);
        var images = await CallAsync("list images", token => _engine.JsonAsync(HttpMethod.Get, path, null, token), cancellationToken).ConfigureAwait(false);
        return Items(images).Select(image => new EngineResource(ResourceKind.Image, Field(image, "Id"),
            Items(image["RepoTags"]).Select(tag => tag?.GetValue<string>()).FirstOrDefault() ?? Field(image, "Id"), LabelsOf(image))).ToList();
    }

    /// <summary>A resource's labels as the engine lists them; none when it lists none.</summary>
    private static IReadOnlyDictionary<string, string> LabelsOf(JsonNode? resource) =>
        resource?["Labels"] is JsonObject labels
            ? labels.Where(label => label.Value is not null).ToDictionary(label => label.Key, label => label.Value!.GetValue<string>(), StringComparer.Ordinal)
            : new Dictionary<string, string>();

    /// <summary>The engine's list filter for resources that carry a label.</summary>
    private static string LabelFilter(string label) => new JsonObject { ["label"] = new JsonObject { [label] = true } }.ToJsonString();

    public async Task RemoveAsync(EngineResource resource, CancellationToken cancellationToken)
    {
        if (resource.Kind switch
            {
                ResourceKind.Container => $"/containers/{Escaped(resource.Id)}" + Query(("force", "1"), ("v", "1")),
                ResourceKind.Network => $"/networks/{Escaped(resource.Id)}",
                ResourceKind.Volume => $"/volumes/{Escaped(resource.Id)}" + Query(("force", "1")),
                ResourceKind.Image => $"/images/{Escaped(resource.Id)}" + Query(("force", "1")),
                _ => null,
            } is not { } unversioned)
        {
            return;
        }
        var path = await PathAsync(unversioned, cancellationToken).ConfigureAwait(false);
        await CallAsync($"remove a {resource.Kind.ToString().ToLowerInvariant()}", async token =>
        {
            try
            {
                await _engine.JsonAsync(HttpMethod.Delete, path, null, token).ConfigureAwait(false);
            }
            catch (EngineApiException gone) when (IsGoneOrGoing(gone))
            {
                // Gone meanwhile, or going (its own build's end, another build's sweep at the same moment): what was asked.
            }
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The engine's answer to removing something that is not there, or that another request is removing right now.</summary>
    internal static bool IsGoneOrGoing(EngineApiException refused) => refused.StatusCode == HttpStatusCode.NotFound
        || (refused.StatusCode == HttpStatusCode.Conflict && EngineMessage(refused).Contains("already in progress", StringComparison.Ordinal));

    public async Task<IReadOnlyList<string>> RuntimesAsync(CancellationToken cancellationToken)
    {
        var path = await PathAsync("/info", cancellationToken).ConfigureAwait(false);
        var info = await CallAsync("report its runtimes", token => _engine.JsonAsync(HttpMethod.Get, path, null, token), cancellationToken).ConfigureAwait(false);
        return (info?["Runtimes"] as JsonObject)?.Select(runtime => runtime.Key).Order(StringComparer.Ordinal).ToList() ?? [];
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
        var creation = CreateParameters(request);
        await PinnedAsync(cancellationToken).ConfigureAwait(false);
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
                    await CallAsync("create a volume", token => _engine.JsonAsync(HttpMethod.Post, Pinned("/volumes/create"), EgressSockets.VolumeParameters(original), token), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await CallAsync("create a network", token => _engine.JsonAsync(HttpMethod.Post, Pinned("/networks/create"), IsolatedNetworkParameters(original), token), cancellationToken).ConfigureAwait(false);
                }
                gateway.Made = true;
                gatewayStarted = StartGatewayAsync(gateway, cancellationToken);
            }
            id = await CreateContainerAsync(creation, cancellationToken).ConfigureAwait(false);
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
                    ? await RunHeldAsync(id, request, files, GatewayReadyAsync, gateway, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false)
                    : await RunCommandAsync(id, request, GatewayReadyAsync, gateway, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false);
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
            await Task.WhenAll(RemoveQuietlyAsync(id ?? creation.Name), gateway?.Remove(this) ?? Task.CompletedTask).ConfigureAwait(false);
            if (gateway is { Made: true })
            {
                await CleanUpQuietlyAsync(token => _engine.JsonAsync(HttpMethod.Delete, gateway.Sockets
                    ? Pinned($"/volumes/{Escaped(EgressSockets.Volume(original))}" + Query(("force", "1")))
                    : Pinned($"/networks/{Escaped(original.Network)}"), null, token)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A container whose command is its main process: attached, started, its output pumped to its end.</summary>
    private async Task<ContainerExit> RunCommandAsync(string id, ContainerRequest request, Func<Task> gatewayReady, RunningGateway? gateway,
        Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        using var stream = await AttachAsync(id, stdin: request.Stdin is not null, cancellationToken).ConfigureAwait(false);
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
                    KillInBackground(id);
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
        await StartAsync(id, cancellationToken).ConfigureAwait(false);
        WriteInBackground(stream, request.Stdin, cancellationToken);
        await PumpToEndAsync(id, stream, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false);
        if (gateway is { Started: false })
        {
            await ready.ConfigureAwait(false);
        }
        var exit = await CallAsync("wait for a container", token => _engine.JsonAsync(HttpMethod.Post, Pinned($"/containers/{Escaped(id)}/wait"), null, token), cancellationToken).ConfigureAwait(false);
        var code = Number(exit, "StatusCode");
        gateway?.ThrowIfRefused(code);
        var outOfMemory = code == 137 && (await InspectContainerAsync(id, cancellationToken).ConfigureAwait(false))?["State"]?["OOMKilled"]?.GetValue<bool>() == true;
        gateway?.Remove(this);
        return new ContainerExit(code, outOfMemory);
    }

    /// <summary>
    /// A container held open around its command (<see cref="HeldContainer"/>): the files go in, the command runs as
    /// their owner with its output pumped, everything of the owner's ends with it, and the folder comes back.
    /// <paramref name="stop"/> kills the container, and its files with it: a stopped run applies nothing.
    /// </summary>
    private async Task<ContainerExit> RunHeldAsync(string id, ContainerRequest request, ContainerFiles files, Func<Task> gatewayReady, RunningGateway? gateway,
        Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        var owner = files.Owner.ToString();
        await StartAsync(id, cancellationToken).ConfigureAwait(false);
        await using (var upload = files.Upload())
        {
            await ExecToEndAsync(id, HeldContainer.CopyIn(files.Folder), owner, upload, null, "into", cancellationToken).ConfigureAwait(false);
        }
        await gatewayReady().ConfigureAwait(false);
        var (exec, stream) = await StartExecAsync(id, HeldContainer.Command(request.Command), owner, request.WorkingDirectory, request.Stdin is not null, cancellationToken).ConfigureAwait(false);
        using (stream)
        {
            WriteInBackground(stream, request.Stdin, cancellationToken);
            await PumpToEndAsync(id, stream, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false);
        }
        if (stop.IsCancellationRequested)
        {
            // Killed, or being killed, with its files: a stopped run applies nothing, and a tree half sent is no tree.
            return new ContainerExit(137);
        }
        try
        {
            var code = await ExitCodeAsync(exec, cancellationToken).ConfigureAwait(false);
            gateway?.ThrowIfRefused(code);
            if (code == 137 && !await IsRunningAsync(id).ConfigureAwait(false))
            {
                // Killed from outside (docker kill, the engine restarting), and its files with it: nothing more runs in it.
                return new ContainerExit(137);
            }
            var outOfMemory = code == 137 && HeldContainer.CountsMemoryKill(await ExecQuietlyAsync(id, HeldContainer.MemoryKills, owner).ConfigureAwait(false));
            gateway?.Remove(this);
            if (files.Received is { } received)
            {
                await ExecToEndAsync(id, HeldContainer.CopyOut(files.Folder, files.ChangedOnly), owner, null, received, "out of", cancellationToken).ConfigureAwait(false);
            }
            return new ContainerExit(code, outOfMemory);
        }
        catch (Errors.AgentSandboxException exception) when (!Diagnostics.IsEngineUnreachable(exception))
        {
            if (await IsRunningAsync(id).ConfigureAwait(false))
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
    private async Task PumpToEndAsync(string id, EngineStream stream, Action<string> onStdout, Action<string> onStderr,
        CancellationToken stop, CancellationToken cancellationToken)
    {
        using (stop.Register(() => KillInBackground(id)))
        using (cancellationToken.Register(() => KillInBackground(id)))
        {
            // Through CallAsync: an engine connection lost mid-run is an engine error, not a file error.
            await CallAsync("stream a container's output", async token => { await PumpLinesAsync(stream, onStdout, onStderr, token).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the container still runs; one that cannot be inspected (removed) does not.</summary>
    private async Task<bool> IsRunningAsync(string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return (await _engine.JsonAsync(HttpMethod.Get, Pinned($"/containers/{Escaped(id)}/json"), null, timeout.Token).ConfigureAwait(false))?["State"]?["Running"]?.GetValue<bool>() == true;
        }
        catch (Exception exception) when (exception is EngineApiException or IOException or SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Writes a container's standard input in the background (a pipe holds 64 KiB, and the container reads as it goes while its output is pumped), then ends it.</summary>
    private static void WriteInBackground(EngineStream stream, string? input, CancellationToken cancellationToken)
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
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                stream.CloseWrite();
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // The container ended before it read it all: its exit code tells the rest.
            }
        }, CancellationToken.None);
    }

    private async Task<(string Id, EngineStream Stream)> StartExecAsync(
        string container, IReadOnlyList<string> command, string user, string? workingDirectory, bool stdin, CancellationToken cancellationToken)
    {
        var created = await CallAsync("run a process in a container", token => _engine.JsonAsync(HttpMethod.Post, Pinned($"/containers/{Escaped(container)}/exec"), new JsonObject
        {
            ["Cmd"] = Array(command),
            ["User"] = user,
            ["WorkingDir"] = workingDirectory ?? "",
            ["AttachStdin"] = stdin,
            ["AttachStdout"] = true,
            ["AttachStderr"] = true,
        }, token), cancellationToken).ConfigureAwait(false);
        var exec = Field(created, "Id");
        var stream = await CallAsync("run a process in a container", token => _engine.HijackAsync(Pinned($"/exec/{Escaped(exec)}/start"), new JsonObject { ["Detach"] = false, ["Tty"] = false }, token), cancellationToken).ConfigureAwait(false);
        return (exec, stream);
    }

    /// <summary>
    /// One of the files' copies (tar in the container): <paramref name="input"/> to its standard input, its standard
    /// output to <paramref name="output"/>; anything but a clean end is a coded error with what tar said.
    /// </summary>
    private async Task ExecToEndAsync(string container, IReadOnlyList<string> command, string user, Stream? input,
        Func<Stream, CancellationToken, Task>? output, string direction, CancellationToken cancellationToken)
    {
        var (exec, stream) = await StartExecAsync(container, command, user, null, input is not null, cancellationToken).ConfigureAwait(false);
        var said = new StringBuilder();
        using (stream)
        {
            var pipe = new System.IO.Pipelines.Pipe();
            var reading = CallAsync($"copy files {direction} a container", async token =>
            {
                var buffer = new byte[81920];
                Exception? failed = null;
                try
                {
                    while ((await stream.ReadOutputAsync(buffer, token).ConfigureAwait(false)) is { Count: > 0 } read)
                    {
                        if (!read.Stderr && output is not null)
                        {
                            await pipe.Writer.WriteAsync(buffer.AsMemory(0, read.Count), token).ConfigureAwait(false);
                        }
                        else if (said.Length < 4096)
                        {
                            said.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                        }
                    }
                    // The output ends cleanly for its reader only once tar has exited 0. A process that failed (or
                    // never started: the engine then writes its error as the output) fails the reader too, so that
                    // nothing of it is taken for the tree.
                    var code = await ExitCodeAsync(exec, token).ConfigureAwait(false);
                    failed = code == 0 ? null : HeldContainer.CopyFailed(direction, said.ToString(), code);
                }
                catch (Exception exception)
                {
                    failed = exception;
                    throw;
                }
                finally
                {
                    await pipe.Writer.CompleteAsync(failed).ConfigureAwait(false);
                }
                return failed is null ? true : throw failed;
            }, cancellationToken);
            var consuming = output is null ? Task.CompletedTask : Task.Run(async () =>
            {
                // However it ends, the reader is done: the writer above never waits for room that will not come.
                await using var received = pipe.Reader.AsStream();
                await output(received, cancellationToken).ConfigureAwait(false);
            }, cancellationToken);
            if (input is not null)
            {
                await CallAsync($"copy files {direction} a container", async token =>
                {
                    var buffer = new byte[81920];
                    int read;
                    while ((read = await input.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
                    {
                        await stream.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                    }
                    stream.CloseWrite();
                    return true;
                }, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                await Task.WhenAll(reading, consuming).ConfigureAwait(false);
            }
            catch when (reading.IsFaulted)
            {
                // The copy's own failure (awaited, it throws), not its reader's echo of it.
                await reading.ConfigureAwait(false);
            }
        }
    }

    /// <summary>A process's exit code once it has ended: its output's end comes first, its exit a moment later at most.</summary>
    private async Task<long> ExitCodeAsync(string exec, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var state = await CallAsync("inspect a process in a container", token => _engine.JsonAsync(HttpMethod.Get, Pinned($"/exec/{Escaped(exec)}/json"), null, token), cancellationToken).ConfigureAwait(false);
            if (state?["Running"]?.GetValue<bool>() == false && state["ExitCode"] is { } code)
            {
                return code.GetValue<long>();
            }
            if (attempt == 150)
            {
                throw Diagnostics.EngineRequestFailed(Endpoint, "inspect a process in a container", "it had not ended 30 s after its output did");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10 << Math.Min(attempt, 5), 200)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What is kept of a short command's output: its answer is a few lines.</summary>
    private const int QuickOutputLimit = 64 * 1024;

    /// <summary>A short command in the container whose output is all that matters, and whose failure is none of the run's: what it printed, or nothing.</summary>
    private async Task<string> ExecQuietlyAsync(string container, IReadOnlyList<string> command, string user)
    {
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var (_, stream) = await StartExecAsync(container, command, user, null, stdin: false, quick.Token).ConfigureAwait(false);
            using (stream)
            {
                return await stream.ReadStdoutToEndAsync(QuickOutputLimit, quick.Token).ConfigureAwait(false);
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
    private async Task StartGatewayAsync(RunningGateway gateway, CancellationToken cancellationToken)
    {
        var (request, egress) = (gateway.Request, gateway.Egress);
        gateway.Id = await CreateContainerAsync(GatewayParameters(request, egress, gateway.Sockets), cancellationToken).ConfigureAwait(false);
        if (!gateway.Sockets)
        {
            await CallAsync("connect a container to a network", token => _engine.JsonAsync(HttpMethod.Post, Pinned($"/networks/{Escaped(request.Network)}/connect"), new JsonObject
            {
                ["Container"] = gateway.Id,
                ["EndpointConfig"] = new JsonObject { ["Aliases"] = Array([egress.Alias]) },
            }, token), cancellationToken).ConfigureAwait(false);
        }
        var stream = await AttachAsync(gateway.Id, stdin: true, cancellationToken).ConfigureAwait(false);
        gateway.Stream = stream;
        await StartAsync(gateway.Id, cancellationToken).ConfigureAwait(false);
        var configuration = Encoding.UTF8.GetBytes(egress.Configuration + "\n");
        await CallAsync("configure the egress proxy", async token =>
        {
            await stream.WriteAsync(configuration, token).ConfigureAwait(false);
            stream.CloseWrite();
            return true;
        }, cancellationToken).ConfigureAwait(false);

        gateway.Output = Task.Run(() => PumpLinesAsync(stream, gateway.Line, gateway.Line, CancellationToken.None), CancellationToken.None);
    }

    /// <summary>The engine's form of the isolated network a gateway serves.</summary>
    internal static JsonObject IsolatedNetworkParameters(ContainerRequest request) => new()
    {
        ["Name"] = request.Network,
        ["Driver"] = "bridge",
        ["Internal"] = true,
        ["Options"] = new JsonObject { [NoHostAddressOption] = "true" },
        ["Labels"] = Map(request.Labels),
    };

    /// <summary>Without it the host has an address on every bridge network, and services listening on all its addresses answer there.</summary>
    internal const string NoHostAddressOption = "com.docker.network.bridge.inhibit_ipv4";

    /// <summary>
    /// The engine's form of a gateway: its own code only, so read-only, as nobody, no privileges, little memory. With
    /// <paramref name="sockets"/>, it listens on them only.
    /// </summary>
    internal static ContainerCreation GatewayParameters(ContainerRequest request, EgressGateway egress, bool sockets) => new(request.GatewayName, new JsonObject
    {
        ["Image"] = egress.Image,
        ["Entrypoint"] = Array([egress.Command[0]]),
        ["Cmd"] = Array([.. egress.Command.Skip(1), .. sockets ? ["--sockets", EgressSockets.Folder] : (string[])[]]),
        ["User"] = GatewayUser,
        // No diagnostics socket in /tmp: nothing in it is written.
        ["Env"] = Array(["DOTNET_EnableDiagnostics=0"]),
        ["AttachStdin"] = true,
        ["OpenStdin"] = true,
        ["StdinOnce"] = true,
        ["AttachStdout"] = true,
        ["AttachStderr"] = true,
        ["Labels"] = Map(new Dictionary<string, string>(request.Labels) { [PurposeLabel] = "egress" }),
        ["HostConfig"] = new JsonObject
        {
            ["NetworkMode"] = egress.OutsideNetwork,
            // A model gateway on the developer's machine, as Docker Desktop names it.
            ["ExtraHosts"] = Array(["host.docker.internal:host-gateway"]),
            ["CapDrop"] = Array(["ALL"]),
            ["SecurityOpt"] = Array(["no-new-privileges"]),
            ["PidsLimit"] = 256,
            ["Memory"] = GatewayMemoryBytes,
            ["MemorySwap"] = GatewayMemoryBytes,
            ["ReadonlyRootfs"] = true,
            ["Mounts"] = new JsonArray([.. sockets ? [MountOf(EgressSockets.GatewayMount(request))] : (JsonNode[])[]]),
        },
    });

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
        public EngineStream? Stream { get; set; }
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
        public Task Remove(DockerEngine engine) => _removal ??= RemoveAsync(engine);

        private async Task RemoveAsync(DockerEngine engine)
        {
            await engine.RemoveQuietlyAsync(Id ?? Name).ConfigureAwait(false);
            if (Output is { } output)
            {
                await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
            }
            Stream?.Dispose();
        }
    }

    /// <summary>The engine's form of a container request: its command as the main process, or, with files, held open by <see cref="HeldContainer.Holder"/>.</summary>
    internal static ContainerCreation CreateParameters(ContainerRequest request)
    {
        var held = request.Files;
        var hostConfig = new JsonObject
        {
            ["Mounts"] = new JsonArray(
            [
                .. request.Mounts.Select(MountOf),
                .. request.Caches.Select(cache => new JsonObject
                {
                    ["Type"] = "volume", ["Source"] = cache.Name, ["Target"] = cache.Target,
                    ["VolumeOptions"] = new JsonObject { ["Labels"] = Map(cache.Labels) },
                }),
                // On disk under a read-only root: a volume of the container's own, removed with it (RemoveVolumes).
                .. request.ReadOnlyRootFilesystem && held is { MemoryBytes: null } ? [new JsonObject { ["Type"] = "volume", ["Target"] = held.Folder }] : (JsonNode[])[],
            ]),
            ["ReadonlyRootfs"] = request.ReadOnlyRootFilesystem,
            ["NetworkMode"] = request.Network,
            ["CapDrop"] = Array(request.Limits.DropAllCapabilities ? ["ALL"] : []),
            ["SecurityOpt"] = Array(request.Limits.NoNewPrivileges ? ["no-new-privileges"] : []),
            ["PidsLimit"] = request.Limits.PidsLimit,
            // Swap equal to memory: no swap on top of the limit.
            ["Memory"] = request.Limits.MemoryBytes ?? 0,
            ["MemorySwap"] = request.Limits.MemoryBytes ?? 0,
            ["NanoCpus"] = request.Limits.Cpus is { } cpus ? (long)(cpus * 1_000_000_000) : 0,
            ["Init"] = InitOf(request),
        };
        if (request.Runtime is { } runtime)
        {
            hostConfig["Runtime"] = runtime;
        }
        if (ScratchOf(request) is { Count: > 0 } scratch)
        {
            hostConfig["Tmpfs"] = Map(scratch.ToDictionary(folder => folder.Path, folder => folder.Options));
        }
        return new ContainerCreation(request.Name, new JsonObject
        {
            ["Image"] = request.Image,
            // The command is an argument vector end to end: no shell ever sees the prompt.
            ["Entrypoint"] = Array([held is null ? request.Command[0] : HeldContainer.Holder[0]]),
            ["Cmd"] = Array([.. (held is null ? request.Command : HeldContainer.Holder).Skip(1)]),
            // Empty: the image's user.
            ["User"] = held is null ? "" : HeldContainer.HolderUser(held.Owner),
            ["Env"] = Array(request.Environment.Select(variable => $"{variable.Key}={variable.Value}")),
            ["WorkingDir"] = request.WorkingDirectory,
            ["AttachStdout"] = held is null,
            ["AttachStderr"] = held is null,
            ["AttachStdin"] = held is null && request.Stdin is not null,
            ["OpenStdin"] = held is null && request.Stdin is not null,
            ["StdinOnce"] = held is null && request.Stdin is not null,
            ["Labels"] = Map(request.Labels),
            ["HostConfig"] = hostConfig,
        });
    }

    /// <summary>A mount as the engine takes it: a folder of the host (bind) or an engine volume.</summary>
    internal static JsonObject MountOf(ContainerMount mount) => new()
    {
        ["Type"] = mount.Type, ["Source"] = mount.Source, ["Target"] = mount.Target, ["ReadOnly"] = mount.ReadOnly,
    };

    /// <summary>Whether the container gets an init process: when asked, and always when held open, as the init reaps what the command's processes leave when they end.</summary>
    internal static bool InitOf(ContainerRequest request) => request.Limits.Init || request.Files is not null;

    /// <summary>The request's folders in memory, with the files' folder when it is one of them.</summary>
    internal static IReadOnlyList<ScratchFolder> ScratchOf(ContainerRequest request) =>
        request.Files is { MemoryBytes: { } bytes } files ? [.. request.Scratch, new ScratchFolder(files.Folder, bytes, files.Owner)] : request.Scratch;

    /// <summary>The API version negotiated on first need, as the prefix of the paths pinned to it.</summary>
    private async Task<string> PinnedAsync(CancellationToken cancellationToken)
    {
        if (_pinned is not null)
        {
            return _pinned;
        }
        var version = await CallAsync("report its version", token => _engine.JsonAsync(HttpMethod.Get, "/version", null, token), cancellationToken, firstContact: true).ConfigureAwait(false);
        ApiVersion = ApiVersions.Negotiate(Endpoint, FieldOrNull(version, "ApiVersion"), FieldOrNull(version, "MinAPIVersion"));
        return _pinned = $"/v{ApiVersion.Major}.{ApiVersion.Minor}";
    }

    /// <summary>A path pinned to the negotiated version, which the run's first calls have negotiated.</summary>
    private string Pinned(string path) => (_pinned ?? throw new InvalidOperationException("The API version is negotiated before a container is made.")) + path;

    private async Task<string> PathAsync(string path, CancellationToken cancellationToken) => await PinnedAsync(cancellationToken).ConfigureAwait(false) + path;

    /// <returns>The new container's ID.</returns>
    private async Task<string> CreateContainerAsync(ContainerCreation creation, CancellationToken cancellationToken) =>
        Field(await CallAsync("create a container", token => _engine.JsonAsync(HttpMethod.Post, Pinned("/containers/create" + Query(("name", creation.Name))), creation.Body, token),
            cancellationToken).ConfigureAwait(false), "Id");

    /// <summary>Its output and, with <paramref name="stdin"/>, its input: attached before it starts, so that nothing it prints is missed.</summary>
    private Task<EngineStream> AttachAsync(string id, bool stdin, CancellationToken cancellationToken) =>
        CallAsync("attach to a container", token => _engine.HijackAsync(
            Pinned($"/containers/{Escaped(id)}/attach" + Query(("stream", "1"), ("stdin", stdin ? "1" : "0"), ("stdout", "1"), ("stderr", "1"))), null, token), cancellationToken);

    /// <summary>Starts a container; one started already is what was asked (the engine answers 304).</summary>
    private Task StartAsync(string id, CancellationToken cancellationToken) =>
        CallAsync("start a container", token => _engine.JsonAsync(HttpMethod.Post, Pinned($"/containers/{Escaped(id)}/start"), null, token), cancellationToken);

    private Task<JsonNode?> InspectContainerAsync(string id, CancellationToken cancellationToken) =>
        CallAsync("inspect a container", token => _engine.JsonAsync(HttpMethod.Get, Pinned($"/containers/{Escaped(id)}/json"), null, token), cancellationToken);

    private Task CallAsync(string operation, Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(operation, async token => { await call(token).ConfigureAwait(false); return true; }, cancellationToken);

    private async Task<T> CallAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, bool firstContact = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (firstContact)
        {
            timeout.CancelAfter(ConnectTimeout);
        }
        try
        {
            return await call(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException exception) when (firstContact && !cancellationToken.IsCancellationRequested)
        {
            throw Diagnostics.EngineUnreachable(Endpoint, $"no answer within {ConnectTimeout.TotalSeconds:0} s", exception);
        }
        catch (Exception exception) when (IsConnectionFailure(exception))
        {
            // A unix socket's mode, or a named pipe's access list (Windows: not in docker-users).
            if (Innermost(exception) is SocketException { SocketErrorCode: SocketError.AccessDenied } or UnauthorizedAccessException)
            {
                throw Diagnostics.EnginePermissionDenied(Endpoint, exception);
            }
            throw Diagnostics.EngineUnreachable(Endpoint, MissingSocket() ?? Innermost(exception).Message.TrimEnd('.'), exception);
        }
        catch (EngineApiException exception)
        {
            throw Diagnostics.EngineRequestFailed(Endpoint, operation, EngineMessage(exception), exception);
        }
        catch (EngineProtocolException exception)
        {
            throw Diagnostics.EngineRequestFailed(Endpoint, operation, exception.Message, exception);
        }
    }

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
    private static string EngineMessage(EngineApiException exception)
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

    private void KillInBackground(string id) =>
        _ = _engine.JsonAsync(HttpMethod.Post, Pinned($"/containers/{Escaped(id)}/kill"), null, CancellationToken.None)
            .ContinueWith(kill => _ = kill.Exception, TaskScheduler.Default);

    private Task RemoveQuietlyAsync(string? container) => container is null ? Task.CompletedTask
        : CleanUpQuietlyAsync(token => _engine.JsonAsync(HttpMethod.Delete, Pinned($"/containers/{Escaped(container)}" + Query(("force", "1"), ("v", "1"))), null, token));

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

    /// <summary>The engine not there, or gone.</summary>
    private static bool IsConnectionFailure(Exception exception) => exception is SocketException or IOException or TimeoutException or UnauthorizedAccessException
        || (exception is AggregateException aggregate && aggregate.InnerExceptions.All(IsConnectionFailure));

    private static Exception Innermost(Exception exception) => exception.InnerException is null ? exception : Innermost(exception.InnerException);

    private static async Task PumpLinesAsync(EngineStream stream, Action<string> onStdout, Action<string> onStderr, CancellationToken cancellationToken)
    {
        var stdout = new LineSplitter(onStdout);
        var stderr = new LineSplitter(onStderr);
        var buffer = new byte[81920];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read.Count == 0)
            {
                break;
            }
            (read.Stderr ? stderr : stdout).Append(buffer.AsSpan(0, read.Count));
        }
        stdout.Flush();
        stderr.Flush();
    }

    /// <summary>
    /// Passes the engine's stream on as our own progress messages, and remembers the error a streaming endpoint
    /// reports in-band.
    /// </summary>
    private sealed class ProgressTranslator(IProgress<EngineProgress> inner)
    {
        public string? Error { get; private set; }

        public void Report(JsonElement message)
        {
            var error = ErrorOf(message);
            if (error is { Length: > 0 })
            {
                Error = error;
            }
            inner.Report(new EngineProgress(TextOf(message, "stream") ?? TextOf(message, "status"), error));
        }
    }

    /// <summary>A streamed message's error: its details' message, else its error text.</summary>
    private static string? ErrorOf(JsonElement message) =>
        message.TryGetProperty("errorDetail", out var detail) && TextOf(detail, "message") is { Length: > 0 } described ? described : TextOf(message, "error");

    private static string? TextOf(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A field the engine always sends (an ID, a name).</summary>
    private static string Field(JsonNode? node, string name) =>
        FieldOrNull(node, name) ?? throw new EngineProtocolException($"its answer has no {name}");

    private static string? FieldOrNull(JsonNode? node, string name) => node?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static long Number(JsonNode? node, string name) =>
        node?[name] is JsonValue value && value.TryGetValue<long>(out var number) ? number : throw new EngineProtocolException($"its answer has no {name}");

    /// <summary>The items of an array the engine answered; none for null (an engine lists nothing as null, not []).</summary>
    private static IEnumerable<JsonNode> Items(JsonNode? node) => node is JsonArray array ? array.OfType<JsonNode>() : [];

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(value => JsonValue.Create(value))]);

    private static JsonObject Map(IEnumerable<KeyValuePair<string, string>> values) => new(values.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)JsonValue.Create(pair.Value))));

    /// <summary>
    /// A value in a request's path (an image's name, a container's ID): escaped where a path needs it, so that no
    /// character of it (a space, ?, #, a line end, one beyond ASCII) changes the request; / and : stay as names have them.
    /// </summary>
    internal static string Escaped(string value)
    {
        var escaped = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || "-._~/:@!$&'()*+,;=".Contains((char)b, StringComparison.Ordinal))
            {
                escaped.Append((char)b);
            }
            else
            {
                escaped.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return escaped.ToString();
    }

    /// <summary>?name=value&amp;…, each escaped.</summary>
    internal static string Query(params (string Name, string Value)[] parameters) =>
        "?" + string.Join('&', parameters.Select(parameter => $"{parameter.Name}={Uri.EscapeDataString(parameter.Value)}"));

    /// <summary>The build's options, as the engine's query takes them (labels and arguments as JSON).</summary>
    internal static string BuildQuery(ImageBuildRequest request)
    {
        List<(string, string)> options = [("t", request.Tag), ("dockerfile", request.Dockerfile), ("rm", "1"), ("forcerm", "1"),
            ("labels", Map(request.Labels).ToJsonString()), ("buildargs", Map(request.BuildArguments).ToJsonString())];
        if (request.Network is { } network)
        {
            options.Add(("networkmode", network));
        }
        return Query([.. options]);
    }
}

/// <summary>A container as the engine is asked to make it: its name (the query's) and its configuration (the body).</summary>
internal sealed record ContainerCreation(string Name, JsonObject Body);
