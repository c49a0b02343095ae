using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Docker.DotNet.Models;
using Version = System.Version;

namespace AgentSandbox.Docker;

/// <summary>
/// The engine calls of every warm run whose answers or requests are large models (the engine's version, an image's
/// details, a container's creation), made straight over a local engine's unix socket, with the few fields they need
/// read and written by hand. Docker.DotNet works out its models' JSON shape by reflection the first time each is used
/// in a process, and every agent target's build is a new one: those three cost 60–90 ms of each run (measured, with
/// its code compiled ahead of time). Other endpoints (tcp, TLS) go through Docker.DotNet. Failures are Docker.DotNet's
/// own exceptions, so that the engine's translation into coded errors is the same either way.
/// </summary>
internal sealed class EngineSocket : IDisposable
{
    private readonly HttpClient _client;

    private EngineSocket(string path)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(handler) { BaseAddress = new Uri("http://docker/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>A client for a unix socket endpoint; null for any other.</summary>
    public static EngineSocket? For(Uri endpoint) => endpoint.Scheme == "unix" ? new EngineSocket(endpoint.LocalPath) : null;

    /// <summary>The API version calls are pinned to once negotiated; null for unversioned calls.</summary>
    public Version? ApiVersion { get; set; }

    /// <returns>The engine's API version and the oldest it serves.</returns>
    public async Task<(string? Version, string? Minimum)> VersionAsync(CancellationToken cancellationToken)
    {
        var answer = (await SendAsync(HttpMethod.Get, "version", null, missingIsNull: false, cancellationToken).ConfigureAwait(false))!.Value;
        return (Text(answer, "ApiVersion"), Text(answer, "MinAPIVersion"));
    }

    /// <returns>An image's ID and architecture; null when the engine has none of that name.</returns>
    public async Task<(string Id, string? Architecture)?> InspectImageAsync(string image, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, $"images/{image}/json", null, missingIsNull: true, cancellationToken).ConfigureAwait(false) is { } answer
            ? (Text(answer, "Id") ?? "", Text(answer, "Architecture"))
            : null;

    /// <returns>The new container's ID.</returns>
    public async Task<string> CreateContainerAsync(CreateContainerParameters parameters, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Post, parameters.Name is { } name ? $"containers/create?name={Uri.EscapeDataString(name)}" : "containers/create", Body(parameters), missingIsNull: false, cancellationToken).ConfigureAwait(false);
        return Text(answer!.Value, "Id") ?? throw new DockerApiException(HttpStatusCode.InternalServerError, "the engine named no container ID");
    }

    /// <summary>
    /// The engine's JSON for a container: the fields the sandbox sets (<see cref="DockerEngine.CreateParameters"/>,
    /// <see cref="DockerEngine.GatewayParameters"/>), as Docker.DotNet would write them, which a test checks.
    /// </summary>
    internal static JsonObject Body(CreateContainerParameters parameters)
    {
        var host = parameters.HostConfig ?? new HostConfig();
        return new JsonObject
        {
            ["Image"] = parameters.Image,
            ["Entrypoint"] = Strings(parameters.Entrypoint),
            ["Cmd"] = Strings(parameters.Cmd),
            ["User"] = parameters.User,
            ["Env"] = Strings(parameters.Env),
            ["WorkingDir"] = parameters.WorkingDir,
            ["AttachStdin"] = parameters.AttachStdin,
            ["AttachStdout"] = parameters.AttachStdout,
            ["AttachStderr"] = parameters.AttachStderr,
            ["OpenStdin"] = parameters.OpenStdin,
            ["StdinOnce"] = parameters.StdinOnce,
            ["Labels"] = Map(parameters.Labels),
            ["HostConfig"] = new JsonObject
            {
                ["Mounts"] = host.Mounts is null ? null : new JsonArray([.. host.Mounts.Select(mount => (JsonNode)new JsonObject
                {
                    ["Type"] = mount.Type,
                    ["Source"] = mount.Source,
                    ["Target"] = mount.Target,
                    ["ReadOnly"] = mount.ReadOnly,
                    ["VolumeOptions"] = mount.VolumeOptions is { } volume ? new JsonObject { ["Labels"] = Map(volume.Labels) } : null,
                })]),
                ["ReadonlyRootfs"] = host.ReadonlyRootfs,
                ["NetworkMode"] = host.NetworkMode,
                ["ExtraHosts"] = Strings(host.ExtraHosts),
                ["CapDrop"] = Strings(host.CapDrop),
                ["SecurityOpt"] = Strings(host.SecurityOpt),
                ["PidsLimit"] = host.PidsLimit,
                ["Runtime"] = host.Runtime,
                ["Memory"] = host.Memory,
                ["MemorySwap"] = host.MemorySwap,
                ["NanoCpus"] = host.NanoCPUs,
                ["Init"] = host.Init,
                ["Tmpfs"] = Map(host.Tmpfs),
            },
        };
    }

    private static JsonArray? Strings(IEnumerable<string>? values) => values is null ? null : new JsonArray([.. values.Select(value => (JsonNode?)value)]);

    private static JsonObject? Map(IDictionary<string, string>? values) =>
        values is null ? null : new JsonObject(values.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value)));

    private static string? Text(JsonElement answer, string property) =>
        answer.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private async Task<JsonElement?> SendAsync(HttpMethod method, string path, JsonObject? body, bool missingIsNull, CancellationToken cancellationToken)
    {
        var version = ApiVersion is { } pinned ? $"v{pinned.Major}.{pinned.Minor}/" : "";
        using var request = new HttpRequestMessage(method, version + path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (missingIsNull && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new DockerApiException(response.StatusCode, text);
        }
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public void Dispose() => _client.Dispose();
}
