using System.Text.Json.Nodes;

namespace AgentSandbox.Docker;

/// <summary>
/// The allowlist without a network of its own, where the runtime allows it: the container is on no network at all
/// (loopback only), the gateway on the outside network only, and between them the gateway's unix sockets, in a small
/// volume in memory made for the run (read-only in the container). A relay in front of the container's command puts
/// each socket on its loopback, at the port the proxy variables and base URLs name. No network to make, connect and
/// remove, no address on one: about half the engine's cost of the allowlist. A runtime that gives the container a
/// kernel of its own (gVisor, Kata) cannot reach another container's socket: it gets the isolated network instead.
/// </summary>
internal static class EgressSockets
{
    /// <summary>Where the sockets are, in the gateway's container and the agent's alike.</summary>
    public const string Folder = "/run/agentsandbox-egress";

    /// <summary>What a container's address for its gateway becomes: its own loopback, where the relay listens.</summary>
    public const string Loopback = "127.0.0.1";

    /// <summary>Whether the request's runtime shares the host's kernel with the gateway (the engine's default runtime is taken to be runc).</summary>
    public static bool Fit(ContainerRequest request) => request.Runtime is null or "runc";

    /// <summary>The volume of the run's sockets: the gateway's name (volumes and containers have names of their own).</summary>
    public static string Volume(ContainerRequest request) => request.GatewayName;

    /// <summary>
    /// The container as it runs with sockets: on no network, its command behind the relay, its variables naming its
    /// loopback, the sockets' volume read-only (connecting to a socket needs no write to its folder).
    /// </summary>
    public static ContainerRequest AgentSide(ContainerRequest request, EgressGateway egress) => request with
    {
        Command = [egress.Command[0], "relay", Folder, "--", .. request.Command],
        Network = "none",
        Environment = egress.Addressed(request.Environment, Loopback),
        Mounts = [.. request.Mounts, new ContainerMount(Volume(request), Folder, ReadOnly: true) { Volume = true }],
    };

    /// <summary>The sockets' volume in the gateway's container.</summary>
    public static ContainerMount GatewayMount(ContainerRequest request) => new(Volume(request), Folder, ReadOnly: false) { Volume = true };

    /// <summary>
    /// In memory (a socket needs no disk), small, open to all as /tmp is (the gateway's user may not be the same
    /// number outside the container, with user namespaces; the agent's container has it read-only), labelled like the
    /// run's containers so that the orphan sweep finds it.
    /// </summary>
    public static JsonObject VolumeParameters(ContainerRequest request) => new()
    {
        ["Name"] = Volume(request),
        ["Driver"] = "local",
        ["DriverOpts"] = new JsonObject
        {
            ["type"] = "tmpfs",
            ["device"] = "tmpfs",
            ["o"] = "size=64k,mode=1777",
        },
        ["Labels"] = new JsonObject(request.Labels.Select(label => KeyValuePair.Create(label.Key, (JsonNode?)JsonValue.Create(label.Value)))),
    };
}
