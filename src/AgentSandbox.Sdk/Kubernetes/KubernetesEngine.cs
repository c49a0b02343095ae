using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AgentSandbox.Common;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace AgentSandbox.Kubernetes;

/// <summary>
/// The sandbox's containers as pods of a Kubernetes cluster (AgentEngine=kubernetes), and the only place that knows
/// KubernetesClient's types. A pod is held open (<see cref="HeldContainer"/>): the workspace goes into an emptyDir
/// through exec, the command runs through exec with its output streamed, and the changes come back the same way, so
/// nothing of this machine is ever mounted. Credentials travel in a Secret made for the pod, never in its spec.
/// A bare pod rather than a Job: nothing may start it a second time, and it goes the moment it is deleted.
/// </summary>
internal sealed class KubernetesEngine : IContainerEngine, IDisposable
{
    /// <summary>The name of the pod's container that runs the sandbox; the egress proxy's is <see cref="ProxyContainer"/>.</summary>
    public const string SandboxContainer = "sandbox";

    public const string ProxyContainer = "egress";

    /// <summary>How long an ordinary request may take; exec streams and the proxy's log last as long as the run.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly k8s.Kubernetes _client;
    private readonly string _namespace;

    private KubernetesEngine(k8s.Kubernetes client, string host, string space)
    {
        _client = client;
        _namespace = space;
        Cluster = $"at {host} (namespace {space})";
    }

    /// <summary>The cluster and namespace, as messages name them.</summary>
    public string Cluster { get; }

    /// <summary>The kubeconfig (KUBECONFIG, then ~/.kube/config) and its context, or the cluster the build runs in.</summary>
    /// <param name="context">A context of the kubeconfig; null for its current one.</param>
    public static KubernetesEngine Connect(string space, string? context)
    {
        try
        {
            var configuration = context is null
                ? KubernetesClientConfiguration.BuildDefaultConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(currentContext: context);
            // Exec and log streams last as long as the run: every ordinary request has its own timeout instead.
            configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
            return new KubernetesEngine(new k8s.Kubernetes(configuration), configuration.Host, space);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // No kubeconfig, an unknown context, unreadable certificates.
            throw Diagnostics.ClusterUnreachable(context is null ? "of the current kubeconfig context" : $"of context '{context}'",
                Text.Loggable(exception.Message), exception);
        }
    }

    /// <summary>
    /// The names of a Secret's keys (AgentKubernetesSecret). The API server answers with the values too, as it has no
    /// way to leave them out: they are dropped here, never kept, logged or passed on.
    /// </summary>
    public async Task<IReadOnlyCollection<string>> SecretKeysAsync(string secret, CancellationToken cancellationToken)
    {
        try
        {
            var found = await CallAsync("read a secret", token => _client.ReadNamespacedSecretAsync(secret, _namespace, cancellationToken: token), cancellationToken).ConfigureAwait(false);
            return [.. (found.Data?.Keys ?? []).Order(StringComparer.Ordinal)];
        }
        catch (AgentSandboxException refused) when (refused.InnerException is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound })
        {
            throw Diagnostics.SecretNotFound(secret, Cluster);
        }
    }

    public Task<bool> NetworkExistsAsync(string network, CancellationToken cancellationToken) =>
        // A pod has the cluster's network and no other: the inputs refuse a named one before this is asked.
        Task.FromResult(false);

    public async Task<IReadOnlyList<EngineResource>> ListLabelledAsync(string label, CancellationToken cancellationToken)
    {
        var pods = await CallAsync("list pods", token => _client.ListNamespacedPodAsync(_namespace, labelSelector: label, cancellationToken: token), cancellationToken).ConfigureAwait(false);
        var secrets = await CallAsync("list secrets", token => _client.ListNamespacedSecretAsync(_namespace, labelSelector: label, cancellationToken: token), cancellationToken).ConfigureAwait(false);
        var policies = await CallAsync("list network policies", token => _client.ListNamespacedNetworkPolicyAsync(_namespace, labelSelector: label, cancellationToken: token), cancellationToken).ConfigureAwait(false);
        return
        [
            .. pods.Items.Select(pod => Resource(ResourceKind.Container, pod.Metadata)),
            .. secrets.Items.Select(secret => Resource(ResourceKind.Secret, secret.Metadata)),
            .. policies.Items.Select(policy => Resource(ResourceKind.Network, policy.Metadata)),
        ];
    }

    /// <summary>Our labels as the annotations hold them whole (a label's value cannot hold a path or a colon).</summary>
    private static EngineResource Resource(ResourceKind kind, V1ObjectMeta metadata) =>
        new(kind, metadata.Name, metadata.Name, new Dictionary<string, string>(metadata.Annotations ?? new Dictionary<string, string>()));

    public async Task RemoveAsync(EngineResource resource, CancellationToken cancellationToken)
    {
        await CallAsync($"delete a {resource.Kind.ToString().ToLowerInvariant()}", async token =>
        {
            try
            {
                await (resource.Kind switch
                {
                    ResourceKind.Container => (Task)_client.DeleteNamespacedPodAsync(resource.Id, _namespace, gracePeriodSeconds: 0, cancellationToken: token),
                    ResourceKind.Secret => _client.DeleteNamespacedSecretAsync(resource.Id, _namespace, cancellationToken: token),
                    ResourceKind.Network => _client.DeleteNamespacedNetworkPolicyAsync(resource.Id, _namespace, cancellationToken: token),
                    // A cluster keeps no volumes or images of ours.
                    _ => Task.CompletedTask,
                }).ConfigureAwait(false);
            }
            catch (HttpOperationException gone) when (gone.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Gone meanwhile: what was asked.
            }
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    public string Count(ResourceKind kind, int count) => kind switch
    {
        ResourceKind.Container => Text.Count(count, "pod"),
        ResourceKind.Network => count == 1 ? "1 network policy" : $"{count} network policies",
        _ => Text.Count(count, kind.ToString().ToLowerInvariant()),
    };

    public async Task<IReadOnlyList<string>> RuntimesAsync(CancellationToken cancellationToken)
    {
        var classes = await CallAsync("list runtime classes", token => _client.ListRuntimeClassAsync(cancellationToken: token), cancellationToken).ConfigureAwait(false);
        return classes.Items.Select(runtime => runtime.Metadata.Name).Order(StringComparer.Ordinal).ToList();
    }

    public async Task<ContainerExit> RunContainerAsync(
        ContainerRequest request, Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        var files = request.Files ?? throw Diagnostics.NotOnKubernetes("mounts nothing of this machine", "use AgentWorkspaceMode=copy (the default) or worktree");
        if (request.Mounts.FirstOrDefault() is { } mount)
        {
            throw Diagnostics.NotOnKubernetes($"mounts nothing of this machine, so not '{mount.Source}'", "remove the AgentExtraMount");
        }
        var gateway = request.Egress is { } egress ? new ProxyLines(egress) : null;
        using var proxyStarting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await CallAsync("create a secret", token => _client.CreateNamespacedSecretAsync(PodSpecs.Secret(request), _namespace, cancellationToken: token), cancellationToken).ConfigureAwait(false);
            await CallAsync("create a network policy", token => _client.CreateNamespacedNetworkPolicyAsync(PodSpecs.Policy(request), _namespace, cancellationToken: token), cancellationToken).ConfigureAwait(false);
            var proxy = (Task<V1Pod>?)null;
            if (request.Egress is { } allowlist)
            {
                // Both pods start at once: the agent is told the proxy's address when it starts, not the pod.
                await CallAsync("create a network policy", token => _client.CreateNamespacedNetworkPolicyAsync(PodSpecs.ProxyPolicy(request), _namespace, cancellationToken: token), cancellationToken).ConfigureAwait(false);
                await CallAsync("create a pod", token => _client.CreateNamespacedPodAsync(PodSpecs.ProxyPod(request, allowlist, files.Owner), _namespace, cancellationToken: token), cancellationToken).ConfigureAwait(false);
                proxy = WaitAsync(request.GatewayName, allowlist.Image, IsRunning, proxyStarting.Token);
            }
            await CallAsync("create a pod", token => _client.CreateNamespacedPodAsync(PodSpecs.Pod(request, files), _namespace, cancellationToken: token), cancellationToken).ConfigureAwait(false);
            var running = await WaitAsync(request.Name, request.Image, IsRunning, cancellationToken).ConfigureAwait(false);
            var proxyAddress = proxy is null ? null : (await proxy.ConfigureAwait(false)).Status.PodIP;
            try
            {
                var placement = new ContainerPlacement(_namespace, request.Name, running.Spec?.NodeName);
                return await RunInPodAsync(request, files, gateway, proxyAddress, onStdout, onStderr, stop, cancellationToken).ConfigureAwait(false) with { Placement = placement };
            }
            catch (AgentSandboxException failure) when (Diagnostics.IsClusterUnreachable(failure) || failure.Code == "AGS2007")
            {
                // An exec into a pod that is no longer there (drained, its node lost, deleted) fails like a request.
                if (cancellationToken.IsCancellationRequested || await IsRunningAsync(request.Name).ConfigureAwait(false))
                {
                    throw;
                }
                throw await LostAsync(request.Name).ConfigureAwait(false);
            }
        }
        finally
        {
            await proxyStarting.CancelAsync().ConfigureAwait(false);
            // However far it got; the pods first, as they use the rest.
            await Task.WhenAll(DeleteQuietlyAsync(request.Name), request.Egress is null ? Task.CompletedTask : DeleteQuietlyAsync(request.GatewayName)).ConfigureAwait(false);
            await Task.WhenAll(
                QuietlyAsync(token => _client.DeleteNamespacedSecretAsync(PodSpecs.SecretName(request), _namespace, cancellationToken: token)),
                QuietlyAsync(token => _client.DeleteNamespacedNetworkPolicyAsync(request.Name, _namespace, cancellationToken: token)),
                request.Egress is null ? Task.CompletedTask : QuietlyAsync(token => _client.DeleteNamespacedNetworkPolicyAsync(request.GatewayName, _namespace, cancellationToken: token))).ConfigureAwait(false);
            if (gateway is not null)
            {
                await gateway.EndAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The request's command, with the proxy's variables at its pod's address in front of it when it has one.</summary>
    internal static IReadOnlyList<string> AgentCommand(ContainerRequest request, string? proxyAddress) =>
        proxyAddress is null ? request.Command : ["env", .. PodSpecs.AtProxyAddress(request, proxyAddress), .. request.Command];

    private static bool IsRunning(V1Pod pod) =>
        pod.Status?.ContainerStatuses is { Count: > 0 } statuses && statuses.All(status => status.State?.Running is not null);

    /// <summary>
    /// The running pod's part: the files in, the command with its output pumped, the files back. A stop or a
    /// cancellation deletes the pod from outside: nothing the agent could have replaced in it takes part.
    /// </summary>
    /// <param name="proxyAddress">The egress proxy pod's address; null without one.</param>
    private async Task<ContainerExit> RunInPodAsync(ContainerRequest request, ContainerFiles files, ProxyLines? gateway, string? proxyAddress,
        Action<string> onStdout, Action<string> onStderr, CancellationToken stop, CancellationToken cancellationToken)
    {
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(stop, cancellationToken);
        using var killing = kill.Token.Register(() => _ = DeleteQuietlyAsync(request.Name));
        if (gateway is not null)
        {
            gateway.Follow(this, request.GatewayName, cancellationToken);
        }
        await using (var upload = files.Upload())
        {
            await ExecToEndAsync(request.Name, HeldContainer.CopyIn(files.Folder), stream => WholeRecordsAsync(upload, stream, kill.Token), null, "into", kill.Token).ConfigureAwait(false);
        }
        if (request.Stdin is { } input)
        {
            var bytes = Encoding.UTF8.GetBytes(input);
            await ExecToEndAsync(request.Name, HeldContainer.SaveInput(bytes.Length), stream => stream.WriteAsync(bytes, kill.Token).AsTask(), null, "into", kill.Token).ConfigureAwait(false);
        }
        if (gateway is not null)
        {
            await gateway.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        var stdout = new LineSplitter(onStdout);
        var stderr = new LineSplitter(onStderr);
        var lost = (string?)null;
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var watching = new CancellationTokenSource();
        var watch = WatchAsync(request.Name, why =>
        {
            lost = why;
            abandon.Cancel();
            kill.Cancel();
        }, watching.Token);
        long? code;
        try
        {
            // Never the exec's own standard input: a cluster's is a pipe that does not end, which a CLI that reads
            // standard input when it is no terminal (Codex) would wait on for ever.
            code = await ExecAsync(request.Name, HeldContainer.Command(AgentCommand(request, proxyAddress), request.WorkingDirectory, request.Stdin is null ? "/dev/null" : HeldContainer.InputFile), null,
                (output, token) => PumpAsync(output, stdout, token), (error, token) => PumpAsync(error, stderr, token), kill.Token, abandon.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lost is not null)
        {
            code = null;
        }
        finally
        {
            await watching.CancelAsync().ConfigureAwait(false);
            await watch.ConfigureAwait(false);
        }
        stdout.Flush();
        stderr.Flush();
        cancellationToken.ThrowIfCancellationRequested();
        if (lost is not null)
        {
            throw Diagnostics.PodLost(request.Name, lost);
        }
        if (stop.IsCancellationRequested)
        {
            // Deleted, or being deleted, with its files: a stopped run applies nothing.
            return new ContainerExit(137);
        }
        if (code is null)
        {
            throw await LostAsync(request.Name).ConfigureAwait(false);
        }
        var outOfMemory = code == 137 && HeldContainer.CountsMemoryKill(await ExecQuietlyAsync(request.Name, HeldContainer.MemoryKills).ConfigureAwait(false));
        if (files.Received is { } received)
        {
            await ExecToEndAsync(request.Name, HeldContainer.CopyOut(files.Folder, files.ChangedOnly), null, received, "out of", cancellationToken).ConfigureAwait(false);
        }
        return new ContainerExit(code.Value, outOfMemory);
    }

    /// <summary>How often a running agent's pod is read.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// While the agent runs, the pod is read every few seconds: a node that stops answering (lost, partitioned, its
    /// kubelet hung) leaves the exec open with nothing on it for ever, and the cluster says so only in the pod, which
    /// turns not ready once the node's grace period (40 s by default) is over. No read of the node itself, which a
    /// namespace's account may not do. A read that fails is left to the exec: the API server may only be slow.
    /// </summary>
    private async Task WatchAsync(string name, Action<string> lost, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(WatchInterval, cancellationToken).ConfigureAwait(false);
                using var quick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                quick.CancelAfter(RequestTimeout);
                V1Pod pod;
                try
                {
                    pod = await _client.ReadNamespacedPodAsync(name, _namespace, cancellationToken: quick.Token).ConfigureAwait(false);
                }
                catch (HttpOperationException gone) when (gone.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    lost("it was deleted");
                    return;
                }
                catch (Exception exception) when (exception is HttpRequestException or IOException or HttpOperationException
                    || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    continue;
                }
                if (WhyGone(pod) is { } why)
                {
                    lost(why);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Why a pod that ran the agent no longer does, in the cluster's words; null while it runs and is ready.</summary>
    internal static string? WhyGone(V1Pod pod)
    {
        var node = pod.Spec?.NodeName ?? "unknown";
        if (pod.Metadata?.DeletionTimestamp is not null)
        {
            return $"it is being deleted{(pod.Status?.Reason is { Length: > 0 } reason ? $" ({Text.Loggable(reason)})" : "")}, on node {node}";
        }
        if (pod.Status?.Phase != "Running")
        {
            var why = pod.Status?.Reason is { Length: > 0 } reason ? (pod.Status.Message is { Length: > 0 } message ? $"{reason}: {message}" : reason) : $"phase {pod.Status?.Phase ?? "unknown"}";
            return Text.Loggable($"{why} on node {node}");
        }
        if (pod.Status.Conditions?.FirstOrDefault(condition => condition.Type == "Ready") is { Status: "False" or "Unknown" })
        {
            return $"it is no longer ready: its node {node} stopped answering, or its container ended";
        }
        return null;
    }

    /// <summary>Whether the pod is there and running, not deleted or being deleted.</summary>
    private async Task<bool> IsRunningAsync(string name)
    {
        using var quick = new CancellationTokenSource(RequestTimeout);
        try
        {
            var pod = await _client.ReadNamespacedPodAsync(name, _namespace, cancellationToken: quick.Token).ConfigureAwait(false);
            return pod.Metadata.DeletionTimestamp is null && pod.Status?.Phase == "Running";
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>
    /// Until the pod is as <paramref name="ready"/> wants it (its containers running, or an address). An image the
    /// node cannot pull, a pod that ends first, a container that still cannot start after
    /// <see cref="Diagnostics.ContainerStartGrace"/> and a pod no node takes are each a coded error, never a hang.
    /// </summary>
    private async Task<V1Pod> WaitAsync(string name, string image, Func<V1Pod, bool> ready, CancellationToken cancellationToken)
    {
        var unscheduledSince = (DateTime?)null;
        var refusedSince = (DateTime?)null;
        while (true)
        {
            var pod = await CallAsync("read a pod", token => _client.ReadNamespacedPodAsync(name, _namespace, cancellationToken: token), cancellationToken).ConfigureAwait(false);
            var statuses = pod.Status?.ContainerStatuses ?? [];
            var refused = false;
            foreach (var status in statuses)
            {
                if (status.State?.Waiting is { Reason: { } reason } waiting)
                {
                    var said = waiting.Message is { Length: > 0 } message ? $"{reason}: {Text.Loggable(message)}" : reason;
                    if (reason is "ErrImagePull" or "ImagePullBackOff" or "InvalidImageName" or "ErrImageNeverPull")
                    {
                        throw Diagnostics.ImageNotPullable(status.Image ?? image, said);
                    }
                    if (reason is "RunContainerError")
                    {
                        throw Diagnostics.ClusterRefused(Cluster, $"start the container {status.Name} of the pod {name}", said);
                    }
                    // The kubelet tries these again before the container exists, and some pass on their own: a busy
                    // node's kubelet that has not yet read the run's Secret says "failed to sync secret cache" once,
                    // and starts the container at its next try, 10 to 15 s later.
                    if (reason is "CreateContainerConfigError" or "CreateContainerError")
                    {
                        refused = true;
                        refusedSince ??= DateTime.UtcNow;
                        if (DateTime.UtcNow - refusedSince > Diagnostics.ContainerStartGrace)
                        {
                            throw Diagnostics.ClusterRefused(Cluster,
                                $"start the container {status.Name} of the pod {name} for {Diagnostics.ContainerStartGrace.TotalSeconds:0} s", said);
                        }
                    }
                }
                if (status.State?.Terminated is { } ended)
                {
                    throw Diagnostics.PodLost(name, $"its container {status.Name} ended: {ended.Reason ?? "exit code " + ended.ExitCode.ToString(CultureInfo.InvariantCulture)}");
                }
            }
            if (!refused)
            {
                refusedSince = null;
            }
            if (pod.Status?.Phase is "Failed" or "Succeeded")
            {
                throw Diagnostics.PodLost(name, pod.Status.Reason ?? pod.Status.Phase);
            }
            if (ready(pod))
            {
                return pod;
            }
            if (pod.Status?.Conditions?.FirstOrDefault(condition => condition.Type == "PodScheduled") is { Status: "False", Reason: "Unschedulable" } unschedulable)
            {
                unscheduledSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow - unscheduledSince > Diagnostics.PodSchedulingTimeout)
                {
                    throw Diagnostics.PodNotScheduled(name, Text.Loggable(unschedulable.Message ?? "Unschedulable"));
                }
            }
            // A pod starts in a second or two: read every 100 ms, so that the run starts the moment it is ready.
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Why a pod that was running no longer answers: evicted, its node lost, deleted by someone else.</summary>
    private async Task<AgentSandboxException> LostAsync(string name)
    {
        using var quick = new CancellationTokenSource(RequestTimeout);
        try
        {
            var pod = await _client.ReadNamespacedPodAsync(name, _namespace, cancellationToken: quick.Token).ConfigureAwait(false);
            // Still running and ready: it was the connection to the API server that broke, not the pod.
            return WhyGone(pod) is { } why ? Diagnostics.PodLost(name, why) : Diagnostics.ClusterUnreachable(Cluster, $"the connection to the pod {name} ended while it still runs");
        }
        catch (HttpOperationException gone) when (gone.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return Diagnostics.PodLost(name, "it was deleted");
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or IOException)
        {
            return Diagnostics.ClusterUnreachable(Cluster, Text.Loggable(exception.Message), exception);
        }
    }

    /// <summary>
    /// GNU tar reads whole records of 10240 bytes, and an exec's standard input cannot be ended before Kubernetes
    /// 1.29: the tar is padded with zeros to a whole record, after its end marker, so that tar ends by itself.
    /// </summary>
    private static async Task WholeRecordsAsync(Stream tar, Stream input, CancellationToken cancellationToken)
    {
        const int Record = 10240;
        var buffer = new byte[81920];
        long sent = 0;
        int read;
        while ((read = await tar.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await input.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            sent += read;
        }
        var padding = (int)((Record - (sent % Record)) % Record);
        await input.WriteAsync(new byte[padding], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One of the copies (tar in the pod); anything but a clean end is a coded error with what it said.</summary>
    private async Task ExecToEndAsync(string pod, IReadOnlyList<string> command, Func<Stream, Task>? input,
        Func<Stream, CancellationToken, Task>? output, string direction, CancellationToken cancellationToken)
    {
        var said = new StringBuilder();
        var code = await ExecAsync(pod, command, input is null ? null : (stream, _) => input(stream),
            output ?? ((stream, token) => stream.CopyToAsync(Stream.Null, token)),
            async (error, token) =>
            {
                using var reader = new StreamReader(error);
                var text = await reader.ReadToEndAsync(token).ConfigureAwait(false);
                said.Append(text.AsSpan(0, Math.Min(text.Length, 4096)));
            }, cancellationToken).ConfigureAwait(false);
        if (code is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw await LostAsync(pod).ConfigureAwait(false);
        }
        if (code != 0)
        {
            throw HeldContainer.CopyFailed(direction, said.ToString(), code.Value);
        }
    }

    /// <summary>A short command whose output is all that matters, and whose failure is none of the run's.</summary>
    private async Task<string> ExecQuietlyAsync(string pod, IReadOnlyList<string> command)
    {
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var said = "";
        try
        {
            await ExecAsync(pod, command, null, async (output, token) =>
            {
                using var reader = new StreamReader(output);
                said = await reader.ReadToEndAsync(token).ConfigureAwait(false);
            }, (error, token) => error.CopyToAsync(Stream.Null, token), quick.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
        }
        return said;
    }

    /// <summary>
    /// Runs a process in the pod's sandbox container: its input written, its output and errors read to their ends.
    /// </summary>
    /// <param name="abandon">Closes the exec's connection at once: the API server keeps one to a node that stopped answering open with nothing on it.</param>
    /// <returns>Its exit code; null when the pod went away before it said one.</returns>
    private async Task<long?> ExecAsync(string pod, IReadOnlyList<string> command, Func<Stream, CancellationToken, Task>? input,
        Func<Stream, CancellationToken, Task> output, Func<Stream, CancellationToken, Task> errors, CancellationToken cancellationToken,
        CancellationToken abandon = default)
    {
        using var demuxer = await CallAsync("run a process in a pod", token => _client.MuxedStreamNamespacedPodExecAsync(
            pod, _namespace, command, SandboxContainer, stderr: true, stdin: input is not null, stdout: true, tty: false, cancellationToken: token), cancellationToken).ConfigureAwait(false);
        using var abandoning = abandon.Register(demuxer.Dispose);
        try
        {
            return await StreamAsync(demuxer, input, output, errors, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (abandon.IsCancellationRequested)
        {
            throw new OperationCanceledException(abandon);
        }
    }

    private async Task<long?> StreamAsync(IStreamDemuxer demuxer, Func<Stream, CancellationToken, Task>? input,
        Func<Stream, CancellationToken, Task> output, Func<Stream, CancellationToken, Task> errors, CancellationToken cancellationToken)
    {
        using var stdout = demuxer.GetStream(ChannelIndex.StdOut, null);
        using var stderr = demuxer.GetStream(ChannelIndex.StdErr, null);
        using var status = demuxer.GetStream(ChannelIndex.Error, null);
        using var stdin = input is null ? null : demuxer.GetStream(null, ChannelIndex.StdIn);
        demuxer.Start();
        var writing = stdin is null ? Task.CompletedTask : WriteQuietlyAsync(input!, stdin, cancellationToken);
        var reading = CallAsync("stream a process's output", async token => { await Task.WhenAll(output(stdout, token), errors(stderr, token)).ConfigureAwait(false); return true; }, cancellationToken, streaming: true);
        string said;
        using (var reader = new StreamReader(status))
        {
            said = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        await reading.ConfigureAwait(false);
        await writing.ConfigureAwait(false);
        return ExitCode(said);
    }

    /// <summary>The input, as far as the process reads it: one that ends first tells by its exit code.</summary>
    private static async Task WriteQuietlyAsync(Func<Stream, CancellationToken, Task> input, Stream stdin, CancellationToken cancellationToken)
    {
        try
        {
            await input(stdin, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>The exec's status channel: Success, or NonZeroExitCode with the code; anything else (nothing) is none.</summary>
    internal static long? ExitCode(string status)
    {
        if (string.IsNullOrWhiteSpace(status))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(status);
            var root = document.RootElement;
            if (root.TryGetProperty("status", out var outcome) && outcome.GetString() == "Success")
            {
                return 0;
            }
            if (root.TryGetProperty("details", out var details) && details.TryGetProperty("causes", out var causes))
            {
                foreach (var cause in causes.EnumerateArray())
                {
                    if (cause.TryGetProperty("reason", out var reason) && reason.GetString() == "ExitCode"
                        && cause.TryGetProperty("message", out var message) && long.TryParse(message.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
                    {
                        return code;
                    }
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    private static async Task PumpAsync(Stream stream, LineSplitter lines, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            lines.Append(buffer.AsSpan(0, read));
        }
    }

    private Task DeleteQuietlyAsync(string pod) =>
        QuietlyAsync(token => _client.DeleteNamespacedPodAsync(pod, _namespace, gracePeriodSeconds: 0, cancellationToken: token));

    private static async Task QuietlyAsync(Func<CancellationToken, Task> removal)
    {
        using var cleanup = new CancellationTokenSource(RequestTimeout);
        try
        {
            await removal(cleanup.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
        }
    }

    /// <summary>
    /// One request to the API server, its failures as coded errors: no answer, forbidden (RBAC), over a quota, or
    /// refused for another reason the server gives.
    /// </summary>
    /// <param name="streaming">A stream that lasts the run: no request timeout.</param>
    private async Task<T> CallAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, bool streaming = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (!streaming)
        {
            timeout.CancelAfter(RequestTimeout);
        }
        try
        {
            return await call(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw Diagnostics.ClusterUnreachable(Cluster, $"no answer to a request to {operation} within {RequestTimeout.TotalSeconds:0} s", exception);
        }
        catch (HttpOperationException refused)
        {
            var message = Text.Loggable(ServerMessage(refused));
            throw refused.Response.StatusCode switch
            {
                HttpStatusCode.Forbidden when message.Contains("exceeded quota", StringComparison.Ordinal) => Diagnostics.ClusterQuotaExceeded(Cluster, message, refused),
                HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => Diagnostics.ClusterForbidden(Cluster, operation, message, refused),
                _ => Diagnostics.ClusterRefused(Cluster, operation, message, refused),
            };
        }
        catch (Exception exception) when (exception is WebSocketException or KubernetesException && IsForbidden(exception))
        {
            throw Diagnostics.ClusterForbidden(Cluster, operation, Text.Loggable(exception.Message), exception);
        }
        catch (Exception exception) when (exception is HttpRequestException or SocketException or IOException or WebSocketException or KubernetesException)
        {
            throw Diagnostics.ClusterUnreachable(Cluster, Text.Loggable(Innermost(exception).Message), exception);
        }
    }

    /// <summary>An exec's upgrade the server refused for the account's rights: the client says 403 in its message.</summary>
    private static bool IsForbidden(Exception exception) =>
        exception.Message.Contains("403", StringComparison.Ordinal) || exception.Message.Contains("forbidden", StringComparison.OrdinalIgnoreCase);

    private static Exception Innermost(Exception exception) => exception.InnerException is null ? exception : Innermost(exception.InnerException);

    /// <summary>The API server's own words (its Status's message), else the status code.</summary>
    private static string ServerMessage(HttpOperationException refused)
    {
        try
        {
            using var document = JsonDocument.Parse(refused.Response.Content ?? "");
            if (document.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
        }
        return $"HTTP {(int)refused.Response.StatusCode}";
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// The egress proxy's container's log while the run lasts: each line to the run's egress record, and its ready
    /// line awaited before the agent starts.
    /// </summary>
    private sealed class ProxyLines(EgressGateway egress)
    {
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _end = new();
        private Task _following = Task.CompletedTask;

        public void Follow(KubernetesEngine engine, string pod, CancellationToken cancellationToken)
        {
            _following = Task.Run(async () =>
            {
                try
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _end.Token);
                    await using var log = await engine._client.ReadNamespacedPodLogAsync(pod, engine._namespace, container: ProxyContainer, follow: true, cancellationToken: linked.Token).ConfigureAwait(false);
                    var lines = new LineSplitter(line =>
                    {
                        egress.OnOutput(line);
                        if (egress.IsReady(line))
                        {
                            _ready.TrySetResult();
                        }
                    });
                    await PumpAsync(log, lines, linked.Token).ConfigureAwait(false);
                    lines.Flush();
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    // The pod went: the run's own steps say why.
                }
                _ready.TrySetException(new InvalidOperationException("the proxy's log ended before it said it was ready"));
            }, CancellationToken.None);
        }

        public async Task WaitReadyAsync(CancellationToken cancellationToken)
        {
            try
            {
                await _ready.Task.WaitAsync(EgressGateway.StartTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
            {
                throw Diagnostics.EgressProxyNotStarted(egress.Image, exception.Message);
            }
        }

        public async Task EndAsync()
        {
            await _end.CancelAsync().ConfigureAwait(false);
            await _following.ConfigureAwait(false);
            _end.Dispose();
        }
    }
}
