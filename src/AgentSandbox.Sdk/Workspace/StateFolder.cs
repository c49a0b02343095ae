using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AgentSandbox.Workspace;

/// <summary>
/// The build user's own folder for what AgentSandbox keeps between runs (checkpoints, locks): outside every workspace,
/// so no agent can reach it, and not shared with other users of the machine, as the temporary folder is.
/// </summary>
internal static class StateFolder
{
    public static string Of(string name)
    {
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        var root = data.Length > 0 ? Path.Combine(data, "AgentSandbox") : Path.Combine(Path.GetTempPath(), $"agentsandbox-{Environment.UserName}");
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>
    /// A small JSON record in the folder <paramref name="name"/>, one per <paramref name="key"/> (a workspace, a
    /// result.json); null when there is none or it cannot be read, which costs its reader only a fresh start.
    /// </summary>
    public static T? ReadJson<T>(string name, string key, JsonTypeInfo<T> shape) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(JsonPath(name, key)), shape);
        }
        catch (Exception unreadable) when (unreadable is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Writes the record whole or not at all (a build beside this one reads it), and quietly not when it cannot.</summary>
    public static void WriteJson<T>(string name, string key, T value, JsonTypeInfo<T> shape)
    {
        var path = JsonPath(name, key);
        var partial = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(partial, JsonSerializer.Serialize(value, shape));
            File.Move(partial, path, overwrite: true);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            // What the record is for (a skip, the order of pruning) is only an optimisation.
        }
    }

    private static string JsonPath(string name, string key) => Path.Combine(Of(name), Common.Text.ShortHash(key, 24) + ".json");
}
