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
}
