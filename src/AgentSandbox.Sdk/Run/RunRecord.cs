using System.Text.Json;
using AgentSandbox.Review;
using AgentSandbox.Workspace;

namespace AgentSandbox.Run;

/// <summary>
/// A target's last successful run in a project: its cache key, its run id and its findings, which a run with the same
/// key repeats instead of running. Kept in the build user's state folder, never in obj/ beside result.json: an agent
/// in mount mode can write there, and a record it wrote would skip later runs or repeat findings of its own making.
/// </summary>
internal sealed record RunRecord(string Key, string Run, IReadOnlyList<ReviewFinding> Findings)
{
    /// <summary>One record per result.json, that is per project and target.</summary>
    private static string PathFor(string resultPath) =>
        Path.Combine(StateFolder.Of("runs"), Common.Text.ShortHash(Path.GetFullPath(resultPath), 24) + ".json");

    public static RunRecord? Read(string resultPath)
    {
        try
        {
            return JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(PathFor(resultPath)));
        }
        catch (Exception unreadable) when (unreadable is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            // None, or spoilt: the run runs.
            return null;
        }
    }

    public void Write(string resultPath)
    {
        var path = PathFor(resultPath);
        var partial = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(partial, JsonSerializer.Serialize(this));
            File.Move(partial, path, overwrite: true);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            // The next run with these inputs runs again: nothing worse.
        }
    }
}
