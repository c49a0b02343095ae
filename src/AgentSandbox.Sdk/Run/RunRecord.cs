using System.Text.Json.Serialization;
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
    private const string Folder = "runs";

    public static RunRecord? Read(string resultPath) => StateFolder.ReadJson(Folder, Path.GetFullPath(resultPath), RunRecordJson.Default.RunRecord);

    public void Write(string resultPath) => StateFolder.WriteJson(Folder, Path.GetFullPath(resultPath), this, RunRecordJson.Default.RunRecord);
}

/// <summary>The record's JSON shape compiled in, as <see cref="StateJson"/>'s.</summary>
[JsonSerializable(typeof(RunRecord))]
internal sealed partial class RunRecordJson : JsonSerializerContext;
