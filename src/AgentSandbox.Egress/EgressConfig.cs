using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSandbox.Egress;

/// <summary>
/// What one run's proxy does, read as one JSON line from standard input: that way the credentials it adds never
/// appear in the container's configuration, its environment or a file.
/// </summary>
/// <param name="Port">The forward proxy's port (HTTP_PROXY, HTTPS_PROXY).</param>
/// <param name="Names">The names the agent reaches the proxy by: an absolute-form request to one of them is for a route.</param>
/// <param name="Allow">AgentAllowedHost entries, the NuGet feeds' hosts and the like, as <see cref="HostRule"/> text.</param>
/// <param name="HttpProxy">The host's own proxy for plain HTTP, for the way out; null for a direct connection.</param>
internal sealed record EgressConfig(
    int Port,
    IReadOnlyList<string> Names,
    IReadOnlyList<string> Allow,
    IReadOnlyList<RouteConfig> Routes,
    string? HttpProxy = null,
    string? HttpsProxy = null,
    string? NoProxy = null)
{
    public static EgressConfig Parse(string json) =>
        JsonSerializer.Deserialize(json, EgressJson.Default.EgressConfig) ?? throw new JsonException("The configuration is null.");

    /// <summary>This configuration with every credential that is in a file read.</summary>
    /// <exception cref="IOException">A credential's file cannot be read.</exception>
    public EgressConfig WithCredentialsRead() =>
        this with { Routes = Routes.Select(route => route with { Credentials = route.Credentials.Select(credential => credential.Read()).ToList() }).ToList() };

    public string ToJson() => JsonSerializer.Serialize(this, EgressJson.Default.EgressConfig);
}

/// <summary>
/// An API the agent reaches through the proxy with stand-in credentials: requests to <see cref="Port"/> go on to
/// <see cref="Upstream"/> with the real credential in place of the stand-in.
/// </summary>
/// <param name="Upstream">scheme://host[:port] of the API (its path stays in the agent's base URL).</param>
internal sealed record RouteConfig(int Port, string Upstream, IReadOnlyList<RouteCredential> Credentials);

/// <summary>One header the API takes a credential in.</summary>
/// <param name="Header">x-api-key, Authorization, x-goog-api-key.</param>
/// <param name="Format">The header's value with {value} for the credential: "{value}", "Bearer {value}".</param>
/// <param name="Token">The run's stand-in the agent was given: a request without it is refused, so no other process gets the key.</param>
/// <param name="Secret">The real credential; empty when <paramref name="SecretFile"/> holds it.</param>
/// <param name="SecretFile">A file the real credential is read from at start (a key of a cluster's Secret mounted into the proxy's pod only), so that the build never holds it.</param>
internal sealed record RouteCredential(string Header, string Format, string Token, string Secret, string? SecretFile = null)
{
    public const string ValuePlaceholder = "{value}";

    /// <summary>This credential with <see cref="SecretFile"/> read into <see cref="Secret"/>, without the line end a file often has.</summary>
    public RouteCredential Read() => SecretFile is null ? this : this with { Secret = File.ReadAllText(SecretFile).TrimEnd('\r', '\n') };

    public string Expected => Format.Replace(ValuePlaceholder, Token, StringComparison.Ordinal);

    public string Real => Format.Replace(ValuePlaceholder, Secret, StringComparison.Ordinal);
}

/// <summary>
/// How the relay in front of the agent (<c>LoopbackRelay</c>) says that the proxy's socket cannot be reached (a
/// runtime that gives the container a kernel of its own refuses the sockets of the host's): this exit code, with a
/// line that starts with <see cref="Words"/>, and never <see cref="Started"/>, which it prints before it starts the
/// command (so no command can pass itself off as the refusal: its words come after that line).
/// </summary>
internal static class SocketRefusal
{
    public const int ExitCode = 125;
    public const string Words = "agentsandbox-egress relay: the egress proxy's socket cannot be reached";
    public const string Started = "agentsandbox-egress relay: serving, starting the command";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EgressConfig))]
[JsonSerializable(typeof(EgressEvent))]
internal sealed partial class EgressJson : JsonSerializerContext;

/// <summary>One line the proxy prints: ready, allowed, refused (a host not on the list), unauthorized (a caller without the token).</summary>
internal sealed record EgressEvent(string Event, string? Host = null, int? Port = null, string? Detail = null)
{
    public const string Ready = "ready";
    public const string Allowed = "allowed";
    public const string Refused = "refused";
    public const string Unauthorized = "unauthorized";

    public string ToJson() => JsonSerializer.Serialize(this, EgressJson.Default.EgressEvent);

    /// <summary>The event a line holds; null for any other line.</summary>
    public static EgressEvent? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(line, EgressJson.Default.EgressEvent);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
