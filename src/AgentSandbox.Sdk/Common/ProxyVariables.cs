namespace AgentSandbox.Common;

/// <summary>
/// The build's proxy settings, for networks that need an explicit proxy. They go to image builds as Docker's
/// predefined proxy build arguments, which stay out of the image history, and to the agent's container at run time.
/// </summary>
internal static class ProxyVariables
{
    public static readonly IReadOnlyList<string> Names =
        ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy"];

    public static Dictionary<string, string> FromHost(Func<string, string?> hostEnvironment) =>
        Names.Select(name => (name, value: hostEnvironment(name)))
            .Where(variable => !string.IsNullOrEmpty(variable.value))
            .ToDictionary(variable => variable.name, variable => variable.value!, StringComparer.Ordinal);
}
