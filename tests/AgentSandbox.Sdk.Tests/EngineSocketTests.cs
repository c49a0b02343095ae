using System.Reflection;
using System.Text.Json.Nodes;
using AgentSandbox.Common;
using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The JSON the engine gets for a container over its socket: what Docker.DotNet would have sent for it.</summary>
public sealed class EngineSocketTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> Shapes() => ["mount", "held in memory, read-only root, limits", "held on disk, read-only root", "gateway on sockets", "gateway on a network", "agent on sockets"];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_containers_json_is_the_one_Docker_DotNet_writes_for_it(string shape)
    {
        var spec = Specs.RunSpec(Specs.Run(_temp.Path, "Do it"));
        var request = SandboxContainer.Create(spec, "agentsandbox:0123456789abcdef", "agent", spec.Command,
            ContainerEnvironment.Empty.With([KeyValuePair.Create("A", "1"), KeyValuePair.Create("B", "two words")]), readOnlyWorkspace: false);
        var held = request with
        {
            Files = new ContainerFiles(() => Stream.Null, "/workspace", new Project.HostUser(1000, 1000), MemoryBytes: 1L << 30),
            ReadOnlyRootFilesystem = true,
            Runtime = "runsc",
            Stdin = "the prompt",
            Limits = request.Limits with { MemoryBytes = 2L << 30, Cpus = 1.5 },
        };
        var egress = new EgressGateway("agentsandbox:x-egress-y", ["/opt/agentsandbox/agentsandbox-egress"], "{}", "agentsandbox-egress", "bridge", _ => { }, _ => true, "{}");
        var parameters = shape switch
        {
            "mount" => DockerEngine.CreateParameters(request),
            "held in memory, read-only root, limits" => DockerEngine.CreateParameters(held),
            "held on disk, read-only root" => DockerEngine.CreateParameters(held with { Files = held.Files! with { MemoryBytes = null } }),
            "gateway on sockets" => DockerEngine.GatewayParameters(request, egress, sockets: true),
            "gateway on a network" => DockerEngine.GatewayParameters(request, egress, sockets: false),
            _ => DockerEngine.CreateParameters(EgressSockets.AgentSide(request with { Egress = egress }, egress)),
        };

        var ours = Meaningful(EngineSocket.Body(parameters));
        var theirs = Meaningful(JsonNode.Parse(DockerDotNetJson(parameters))!)!.AsObject();
        // The name goes in the query (both send it there); the engine reads no such field of the body.
        Assert.True(theirs.Remove("Name"));

        Assert.True(JsonNode.DeepEquals(theirs, ours), $"Docker.DotNet: {theirs!.ToJsonString()}\nours:          {ours!.ToJsonString()}");
    }

    /// <summary>What Docker.DotNet's own serializer (internal) writes for the parameters.</summary>
    private static string DockerDotNetJson(CreateContainerParameters parameters)
    {
        var serializer = typeof(DockerClient).Assembly.GetType("Docker.DotNet.JsonSerializer", throwOnError: true)!;
        var instance = serializer.GetProperty("Instance", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!.GetValue(null);
        return (string)serializer.GetMethod("Serialize", [typeof(object), typeof(Type)])!.Invoke(instance, [parameters, typeof(CreateContainerParameters)])!;
    }

    /// <summary>The JSON without what the engine takes as not given: nulls, false, zero, empty strings, lists and objects.</summary>
    private static JsonNode? Meaningful(JsonNode? node) => node switch
    {
        JsonObject obj => obj.Select(pair => KeyValuePair.Create(pair.Key, Meaningful(pair.Value))).Where(pair => pair.Value is not null).ToList() is { Count: > 0 } kept
            ? new JsonObject(kept) : null,
        JsonArray array => array.Count > 0 ? new JsonArray([.. array.Select(item => Meaningful(item) ?? JsonValue.Create(""))]) : null,
        JsonValue value when value.ToJsonString() is "false" or "0" or "\"\"" or "null" => null,
        JsonValue value => JsonNode.Parse(value.ToJsonString()),
        _ => null,
    };
}
