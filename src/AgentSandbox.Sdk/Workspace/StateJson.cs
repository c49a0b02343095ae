using System.Text.Json.Serialization;

namespace AgentSandbox.Workspace;

/// <summary>
/// The state folder's records in the JSON shape compiled in: every run writes and reads a few of them, and
/// reflection would work out each type's shape afresh in every build process (about 10 ms a type).
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Checkpoint))]
[JsonSerializable(typeof(Dictionary<string, DateTimeOffset>))]
internal sealed partial class StateJson : JsonSerializerContext;
