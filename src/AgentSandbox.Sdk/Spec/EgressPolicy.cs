using AgentSandbox.Agents;
using AgentSandbox.Docker;
using AgentSandbox.Egress;

namespace AgentSandbox.Spec;

/// <summary>
/// AgentNetwork=allowlist: the run's containers sit on a network with no way out but the egress proxy beside them,
/// which lets through only <see cref="AllowedHosts"/> and adds the real credential to the agent's API requests, so the
/// agent holds only a stand-in.
/// </summary>
/// <param name="EgressNetwork">AgentEgressNetwork: the network through which the proxy, and only the proxy, reaches out.</param>
/// <param name="AllowedHosts">AgentAllowedHost entries and the NuGet feeds' hosts, as <see cref="HostRule"/> text.</param>
/// <param name="Apis">The agent's APIs, each behind a port of the proxy with its credential.</param>
/// <param name="Token">The run's stand-in credential: the agent has it, and the proxy serves nobody without it.</param>
/// <param name="Secrets">The real credentials and the host's proxy settings, by name: for the proxy's configuration only.</param>
internal sealed record EgressPolicy(
    string EgressNetwork,
    IReadOnlyList<string> AllowedHosts,
    IReadOnlyList<ProxiedApi> Apis,
    string Token,
    ContainerEnvironment Secrets)
{
    /// <summary>The proxy's name on the run's network: what the agent's proxy variables and base URLs point at.</summary>
    public const string ProxyName = "agentsandbox-egress";
    public const int ProxyPort = 3128;
    public const int FirstApiPort = 3129;
    public const string DefaultEgressNetwork = "bridge";

    public static string ProxyUrl => $"http://{ProxyName}:{ProxyPort}";

    /// <summary>Where the proxy's pod has the keys of AgentKubernetesSecret's Secret.</summary>
    public const string ClusterKeysFolder = "/var/run/agentsandbox-keys";

    /// <summary>The credentials the proxy reads from a Secret of the cluster, not from its configuration; null for none.</summary>
    public SecretKeys? ClusterKeys { get; init; }

    /// <summary>
    /// What the proxy is told on its standard input. Credentials only with <paramref name="withCredentials"/>: the
    /// sandbox builds' proxies (AgentFix, AgentVerify) never get the agent's.
    /// </summary>
    /// <param name="byName">For reading (AgentDryRun): each secret as $NAME, the token masked.</param>
    public EgressConfig Configuration(bool withCredentials, bool byName = false) => new(
        ProxyPort,
        [ProxyName],
        AllowedHosts,
        withCredentials
            ? Apis.Select(api => new RouteConfig(api.Port, api.Upstream, api.Credentials.Select(credential => ClusterKeys?.File(credential.Variable) is { } file
                ? new RouteCredential(credential.Header, credential.Format, byName ? "***" : Token, "", file)
                : new RouteCredential(credential.Header, credential.Format, byName ? "***" : Token, Value(credential.Variable, byName)!)).ToList())).ToList()
            : [],
        HttpProxy: Host("HTTP_PROXY", byName),
        HttpsProxy: Host("HTTPS_PROXY", byName),
        NoProxy: Host("NO_PROXY", byName));

    /// <summary>The host's setting, upper or lower case, as curl and .NET read them.</summary>
    private string? Host(string name, bool byName) => Value(name.ToLowerInvariant(), byName) ?? Value(name, byName);

    private string? Value(string name, bool byName) =>
        Secrets.Variables.TryGetValue(name, out var value) && value.Length > 0 ? byName ? "$" + name : value : null;
}

/// <summary>An API of the agent behind the proxy.</summary>
/// <param name="Port">The proxy's port for it.</param>
/// <param name="Upstream">scheme://host[:port] of the real API.</param>
/// <param name="BasePath">The real base URL's path ("/v1" for OpenAI's), kept in the one the agent gets.</param>
internal sealed record ProxiedApi(int Port, string Upstream, string BasePath, IReadOnlyList<ProxiedCredential> Credentials)
{
    /// <summary>The base URL the agent is given instead of the real one.</summary>
    public string AgentBaseUrl => $"http://{EgressPolicy.ProxyName}:{Port}{BasePath.TrimEnd('/')}";
}
