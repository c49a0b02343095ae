namespace AgentSandbox.Agents;

/// <summary>A credential the proxy adds: the host variable that holds it, and how the API takes it.</summary>
/// <param name="Format">The header's value with {value} for the credential: "{value}", "Bearer {value}".</param>
internal sealed record ProxiedCredential(string Variable, string Header, string Format);
