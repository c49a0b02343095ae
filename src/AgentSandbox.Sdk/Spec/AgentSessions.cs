namespace AgentSandbox.Spec;

/// <summary>The agent's conversations in this project, kept between runs so that a later one can continue them.</summary>
/// <param name="Volume">The engine volume that holds them: one per project (or solution) and agent.</param>
/// <param name="Folder">Where the agent's container has it: the CLI's session folder under its home.</param>
/// <param name="ResumeLast">AgentResume without AgentSessionId: continue the session the last run of this target and agent left, as its result.json names it.</param>
/// <param name="Discard">Kept for this run only (AgentFix's rounds, when the user did not ask for sessions to be kept): removed when it ends.</param>
/// <param name="ToKeep">AgentSessionsToKeep: how many of the workspace's kept session volumes stay when the run ends, the ones used last.</param>
internal sealed record AgentSessions(string Volume, string Folder, bool ResumeLast, bool Discard = false, int ToKeep = AgentSessions.DefaultToKeep)
{
    public const int DefaultToKeep = 10;
}
