using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AgentSandbox.Docker;

/// <summary>
/// Which engine the docker CLI would talk to: DOCKER_HOST, else the Docker context (DOCKER_CONTEXT, else the current
/// one of the CLI's configuration), else the platform's default socket.
/// </summary>
internal static class EngineEndpoint
{
    public static Uri Default => new(OperatingSystem.IsWindows() ? "npipe://./pipe/docker_engine" : "unix:///var/run/docker.sock");

    /// <param name="explicitEndpoint">AgentDockerHost, when set: it wins over the environment.</param>
    /// <param name="environment">The process's variables (a parameter, for tests).</param>
    public static Uri Resolve(string? explicitEndpoint, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(explicitEndpoint))
        {
            return Parse(explicitEndpoint.Trim());
        }
        if (environment("DOCKER_HOST") is { } host && !string.IsNullOrWhiteSpace(host))
        {
            // Its TLS settings would have the CLI speak TLS there; plain HTTP would send registry logins in the clear.
            var endpoint = Parse(host.Trim());
            return endpoint.Scheme == "tcp" && environment("DOCKER_TLS_VERIFY") is { Length: > 0 } ? throw TlsNotSupported("DOCKER_TLS_VERIFY is set") : endpoint;
        }
        // The CLI's own: HOME on Unix, the user's profile on Windows (where HOME may be a network drive or a shell's).
        var home = OperatingSystem.IsWindows() ? null : environment("HOME");
        var configFolder = environment("DOCKER_CONFIG") is { Length: > 0 } config ? config
            : Path.Combine(home ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        var context = environment("DOCKER_CONTEXT") is { Length: > 0 } named ? named : CurrentContext(configFolder);
        if (context is null or "default")
        {
            return Default;
        }
        // The CLI keeps a context's endpoints under the SHA-256 of its name.
        var meta = Path.Combine(configFolder, "contexts", "meta", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(context))).ToLowerInvariant(), "meta.json");
        if (!File.Exists(meta))
        {
            throw new InvalidOperationException($"the Docker context '{context}' is not in {configFolder} (docker context ls lists the contexts)");
        }
        // A context with TLS material, or one that skips its verification, speaks TLS to its engine.
        if (Directory.Exists(Path.Combine(configFolder, "contexts", "tls", Path.GetFileName(Path.GetDirectoryName(meta))!, "docker")))
        {
            throw TlsNotSupported($"the Docker context '{context}' has TLS keys");
        }
        using var document = JsonDocument.Parse(File.ReadAllText(meta));
        if (!(document.RootElement.TryGetProperty("Endpoints", out var endpoints) && endpoints.TryGetProperty("docker", out var docker)
            && docker.TryGetProperty("Host", out var address) && address.GetString() is { Length: > 0 } found))
        {
            throw new InvalidOperationException($"the Docker context '{context}' names no engine");
        }
        return docker.TryGetProperty("SkipTLSVerify", out var skip) && skip.ValueKind == JsonValueKind.True
            ? throw TlsNotSupported($"the Docker context '{context}' uses TLS")
            : Parse(found);
    }

    private static string? CurrentContext(string configFolder)
    {
        var file = Path.Combine(configFolder, "config.json");
        if (!File.Exists(file))
        {
            return null;
        }
        using var document = JsonDocument.Parse(File.ReadAllText(file));
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("currentContext", out var current)
            && current.ValueKind == JsonValueKind.String ? current.GetString() : null;
    }

    /// <summary>An endpoint; host:port without a scheme is tcp://, as the CLI takes it.</summary>
    private static Uri Parse(string endpoint) =>
        Uri.TryCreate(endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : "tcp://" + endpoint, UriKind.Absolute, out var uri) ? uri
            : throw new InvalidOperationException($"'{endpoint}' is not an endpoint such as unix:///var/run/docker.sock or tcp://host:2375");

    private static InvalidOperationException TlsNotSupported(string why) =>
        new($"{why}, and engines reached over TLS are not supported: use its unix socket, or a tunnel to it (ssh -L), and DOCKER_HOST=tcp://127.0.0.1:PORT without TLS");
}
