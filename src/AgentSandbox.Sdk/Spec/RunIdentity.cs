using System.Reflection;

namespace AgentSandbox.Spec;

/// <summary>
/// Who made a resource: this package's version, the build (session) and the run. Every container and image of ours
/// carries these as labels, so that whatever a run leaves behind can be found, and only ours.
/// </summary>
/// <param name="SessionId">One per build (per MSBuild node process of it).</param>
/// <param name="RunId">One per target run: the agent's container, its sandbox builds and the image built for it share it.</param>
internal sealed record RunIdentity(string PackageVersion, string SessionId, string RunId)
{
    public const string LabelPrefix = "org.agentsandbox.";

    /// <summary>The informational version without its source revision: 0.1.0-dev.</summary>
    public static string CurrentPackageVersion { get; } =
        (typeof(RunIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];

    public static string NewId() => Guid.NewGuid().ToString("N")[..16];

    public static RunIdentity New(string sessionId) => new(CurrentPackageVersion, sessionId, NewId());

    public IReadOnlyDictionary<string, string> Labels => new Dictionary<string, string>
    {
        [LabelPrefix + "version"] = PackageVersion,
        [LabelPrefix + "session"] = SessionId,
        [LabelPrefix + "run"] = RunId,
    };
}
