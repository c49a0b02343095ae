using System.Text.Json;

namespace AgentSandbox.Agents;

/// <summary>Tolerant readers for the JSON lines agent CLIs print: a missing or mistyped field is null, never an exception.</summary>
internal static class JsonFields
{
    /// <summary>Parses one output line; null when it is not JSON at all (a plain log line, a truncated write).</summary>
    public static JsonDocument? Parse(string line)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    public static decimal? Decimal(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number) ? number : null;

    public static JsonElement Object(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

    public static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];

    /// <summary>The first line of a tool's argument, shortened, for a one-line log entry.</summary>
    public static string OneLine(string text)
    {
        const int MaxLength = 200;
        var firstLine = text.Trim().Split('\n')[0].TrimEnd();
        var shortened = firstLine.Length > MaxLength ? firstLine[..MaxLength] + "…" : firstLine;
        return shortened.Length < text.Trim().Length && !shortened.EndsWith('…') ? shortened + " …" : shortened;
    }
}
