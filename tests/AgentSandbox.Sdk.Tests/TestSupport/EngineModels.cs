using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSandbox.Docker;
using Docker.DotNet.Models;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>
/// The engine's requests read back through Docker.DotNet's models of the Engine API, whose names are the API's own:
/// a field we write under a wrong name, or of a wrong type, is lost or fails here.
/// </summary>
internal static class EngineModels
{
    public static CreateContainerParameters Container(ContainerCreation creation)
    {
        var container = Read<CreateContainerParameters>(creation.Body);
        container.Name = creation.Name;
        return container;
    }

    public static VolumesCreateParameters Volume(JsonObject body) => Read<VolumesCreateParameters>(body);

    public static NetworksCreateParameters Network(JsonObject body) => Read<NetworksCreateParameters>(body);

    private static T Read<T>(JsonObject body)
    {
        var json = body.ToJsonString();
        var model = JsonSerializer.Deserialize<T>(json)!;
        // Every field written is one the model knows: written back, nothing of ours is missing.
        var back = JsonNode.Parse(JsonSerializer.Serialize(model, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }))!;
        AllKnown(body, back, typeof(T).Name);
        return model;
    }

    private static void AllKnown(JsonObject written, JsonNode back, string path)
    {
        foreach (var (name, value) in written)
        {
            if (back[name] is not { } known)
            {
                throw new Xunit.Sdk.XunitException($"{path} has no field {name}: the engine would not read it.");
            }
            if (value is JsonObject inner && known is JsonObject)
            {
                AllKnown(inner, known, $"{path}.{name}");
            }
        }
    }
}
