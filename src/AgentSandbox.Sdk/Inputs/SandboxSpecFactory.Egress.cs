using System.Security.Cryptography;
using AgentSandbox.Agents;
using AgentSandbox.Common;
using AgentSandbox.Docker;
using AgentSandbox.Egress;
using AgentSandbox.Errors;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;

namespace AgentSandbox.Inputs;

/// <summary>
/// AgentNetwork=allowlist: what the egress proxy lets through and which credentials it adds, and the containers'
/// variables that send everything through it (the real credentials and the host's proxy settings go to the proxy only).
/// </summary>
internal static partial class SandboxSpecFactory
{
    public const string AllowlistNetwork = "allowlist";

    /// <summary>The proxy itself, and the container's own loopback, are not reached through the proxy.</summary>
    private static readonly string NoProxyInside = $"{EgressPolicy.ProxyName},localhost,127.0.0.1";

    /// <param name="environment">The agent's variables: its credential becomes the run's token, its base URL the proxy's.</param>
    /// <param name="buildEnvironment">The sandbox builds' variables: their proxy becomes ours.</param>
    private static (EgressPolicy Egress, ContainerEnvironment Agent, ContainerEnvironment Build, AgentInvocation Invocation) CreateEgress(
        SandboxInputs inputs, IAgentProfile agent, ContainerEnvironment environment, ContainerEnvironment buildEnvironment, AgentInvocation invocation,
        string workingDirectory, CredentialSources credentials, List<Warning> warnings)
    {
        var hostEnvironment = credentials.Host;
        // The credentials the proxy's pod reads from the cluster's Secret instead of getting them from the build.
        var inSecret = new List<string>();
        var egressNetwork = ParseEgressNetwork(inputs.EgressNetwork);
        var allowed = inputs.AllowedHosts.Where(entry => !string.IsNullOrWhiteSpace(entry))
            .Select(entry => HostRule.Parse(entry)?.ToString() ?? throw Diagnostics.InvalidValue("AgentAllowedHost", entry.Trim(),
                "give a host name (api.example.com), a wildcard for the names under a domain (*.example.com) or an IP address, each with an optional :port"))
            .Concat(NuGetConfigs.FeedHosts(workingDirectory))
            .Distinct(StringComparer.Ordinal).ToList();
        var token = "agentsandbox-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var secrets = ContainerEnvironment.Empty.With(ProxyVariables.FromHost(hostEnvironment));
        var apis = new List<ProxiedApi>();

        // The agent's own API: its credential, as the profile knows how the API takes it.
        if (invocation.CredentialVariable is { } variable && agent.ProxiedCredentials.FirstOrDefault(c => c.Variable == variable) is { } credential
            && (invocation.BaseUrl ?? agent.DefaultBaseUrl) is { } baseUrl)
        {
            var api = Proxied(FirstFreePort(apis), baseUrl, credential);
            apis.Add(api);
            if (credentials.InClusterSecret(variable))
            {
                inSecret.Add(variable);
            }
            else
            {
                secrets = secrets.With(variable, environment.Variables[variable]);
            }
            environment = environment.Without(agent.CredentialVariables).With(variable, token);
            if (agent.BaseUrlVariable is { } baseUrlVariable)
            {
                environment = environment.With(baseUrlVariable, api.AgentBaseUrl, secret: false);
            }
            invocation = invocation with { BaseUrl = api.AgentBaseUrl };
        }

        // AgentCredential: a custom agent's, or any further API's.
        foreach (var item in inputs.Credentials)
        {
            var name = item.Variable.Trim();
            if (!VariableName().IsMatch(name))
            {
                throw Diagnostics.InvalidValue("AgentCredential", "an item", "name the host variable that holds the credential, such as MY_API_KEY (the item is not shown: it may be the credential itself)");
            }
            var value = credentials.InClusterSecret(name) ? null : hostEnvironment(name);
            if (value is not { Length: > 0 } && !credentials.InClusterSecret(name))
            {
                warnings.Add(Diagnostics.HostVariableNotSet("AgentCredential", name));
                continue;
            }
            var proxied = new ProxiedCredential(name, string.IsNullOrWhiteSpace(item.Header) ? "Authorization" : item.Header.Trim(),
                string.IsNullOrWhiteSpace(item.Format) ? "Bearer " + RouteCredential.ValuePlaceholder : item.Format);
            if (!proxied.Format.Contains(RouteCredential.ValuePlaceholder, StringComparison.Ordinal))
            {
                throw Diagnostics.InvalidValue($"AgentCredential {name}'s Format", proxied.Format, "give the header's value with {value} where the credential goes, such as Bearer {value}");
            }
            var api = Proxied(FirstFreePort(apis), CredentialUrl(name, item.Host), proxied);
            apis.Add(api);
            if (value is null)
            {
                inSecret.Add(name);
            }
            else
            {
                secrets = secrets.With(name, value);
            }
            environment = environment.With(name, token);
            if (!string.IsNullOrWhiteSpace(item.BaseUrlVariable))
            {
                environment = environment.With(VariableName().IsMatch(item.BaseUrlVariable.Trim()) ? item.BaseUrlVariable.Trim()
                    : throw Diagnostics.InvalidValue($"AgentCredential {name}'s BaseUrlVariable", item.BaseUrlVariable.Trim(), "give the name of the variable the agent reads its API's URL from"),
                    api.AgentBaseUrl, secret: false);
            }
        }

        var inside = new Dictionary<string, string>
        {
            ["HTTP_PROXY"] = EgressPolicy.ProxyUrl, ["HTTPS_PROXY"] = EgressPolicy.ProxyUrl, ["NO_PROXY"] = NoProxyInside,
            // curl reads only the lower-case http_proxy.
            ["http_proxy"] = EgressPolicy.ProxyUrl, ["https_proxy"] = EgressPolicy.ProxyUrl, ["no_proxy"] = NoProxyInside,
        };
        environment = RevocationOffline(environment.Without(ProxyVariables.Names).With(inside, secret: false));
        buildEnvironment = RevocationOffline(buildEnvironment.Without(ProxyVariables.Names).With(inside, secret: false));
        var policy = new EgressPolicy(egressNetwork, allowed, apis, token, secrets)
        {
            ClusterKeys = credentials.Secret is { } secret && inSecret.Count > 0 ? new SecretKeys(secret, inSecret, EgressPolicy.ClusterKeysFolder) : null,
        };
        return (policy, environment, buildEnvironment, invocation);
    }

    /// <summary>
    /// NuGet checks the revocation of signed packages' certificates at their CAs' CRL and OCSP hosts, which the
    /// allowlist refuses (hundreds of refusals and an AGS4105 per host on a cold restore): the sandbox's restore
    /// verifies the signatures offline, unless the build's variables say otherwise.
    /// </summary>
    private static ContainerEnvironment RevocationOffline(ContainerEnvironment environment) =>
        environment.HasValue("NUGET_CERT_REVOCATION_MODE") ? environment : environment.With("NUGET_CERT_REVOCATION_MODE", "offline", secret: false);

    private static int FirstFreePort(List<ProxiedApi> apis) => EgressPolicy.FirstApiPort + apis.Count;

    private static ProxiedApi Proxied(int port, string baseUrl, ProxiedCredential credential)
    {
        var url = new Uri(baseUrl);
        return new ProxiedApi(port, url.GetLeftPart(UriPartial.Authority), url.AbsolutePath, [credential]);
    }

    /// <summary>An AgentCredential's Host: an http(s) URL, or a host name for https.</summary>
    private static string CredentialUrl(string variable, string? host)
    {
        var text = host?.Trim() ?? "";
        var url = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        return text.Length > 0 && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? url
            : throw Diagnostics.InvalidValue($"AgentCredential {variable}'s Host", text.Length > 0 ? text : "(empty)", "give the API's host name or base URL, such as api.example.com or https://api.example.com/v1");
    }

    private static string ParseEgressNetwork(string? value)
    {
        var network = string.IsNullOrWhiteSpace(value) ? EgressPolicy.DefaultEgressNetwork : value.Trim();
        return NetworkName().IsMatch(network) && network is not ("host" or "none" or AllowlistNetwork)
            ? network
            : throw Diagnostics.InvalidValue("AgentEgressNetwork", network, "give bridge or the name of an existing Docker network that reaches the hosts you allow (host and none cannot carry the proxy)");
    }
}
