using System.Text.Json;

namespace AgentSandbox.Project;

/// <summary>Finds the global.json that governs a project, the way the dotnet host does: the nearest one above it.</summary>
internal static class GlobalJson
{
    public static string? FindSdkVersion(string projectDirectory)
    {
        for (var directory = new DirectoryInfo(projectDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "global.json");
            if (File.Exists(path))
            {
                return ReadSdkVersion(File.ReadAllText(path));
            }
        }
        return null;
    }

    /// <summary>sdk.version of a global.json text; null when absent or unreadable (the dotnet host tolerates comments too).</summary>
    public static string? ReadSdkVersion(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("sdk", out var sdk)
                && sdk.ValueKind == JsonValueKind.Object
                && sdk.TryGetProperty("version", out var version)
                && version.ValueKind == JsonValueKind.String
                    ? version.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
