using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AgentSandbox.Docker;

namespace AgentSandbox.Image;

/// <summary>
/// The login `docker login` saved for a registry, read as the docker CLI reads it: the Docker configuration
/// (DOCKER_CONFIG, else ~/.docker/config.json), its credential helper for that registry or its default store
/// (docker-credential-NAME get), else the login stored in it. None when there is none: the push goes anonymously.
/// </summary>
internal static class RegistryLogins
{
    public static RegistryLogin? For(string registry, Func<string, string?> environment)
    {
        var folder = environment("DOCKER_CONFIG") is { Length: > 0 } configured ? configured
            : Path.Combine(environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        var path = Path.Combine(folder, "config.json");
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }
            using var config = JsonDocument.Parse(File.ReadAllText(path));
            var root = config.RootElement;
            if (Named(root, "credHelpers", registry) is { ValueKind: JsonValueKind.String } helper)
            {
                return FromHelper(helper.GetString()!, registry);
            }
            if (Named(root, "auths", registry) is { ValueKind: JsonValueKind.Object } stored)
            {
                return FromStored(stored);
            }
            return root.TryGetProperty("credsStore", out var store) && store.GetString() is { Length: > 0 } storeName ? FromHelper(storeName, registry) : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A registry's entry, under its name as saved: with or without a scheme, with or without a trailing slash.</summary>
    private static JsonElement? Named(JsonElement root, string section, string registry)
    {
        if (!root.TryGetProperty(section, out var entries) || entries.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        foreach (var entry in entries.EnumerateObject())
        {
            var name = entry.Name.Replace("https://", "", StringComparison.Ordinal).Replace("http://", "", StringComparison.Ordinal).TrimEnd('/');
            if (string.Equals(name, registry, StringComparison.OrdinalIgnoreCase)
                || (registry == "docker.io" && name.StartsWith("index.docker.io", StringComparison.OrdinalIgnoreCase)))
            {
                return entry.Value;
            }
        }
        return null;
    }

    private static RegistryLogin? FromStored(JsonElement stored)
    {
        if (stored.TryGetProperty("identitytoken", out var token) && token.GetString() is { Length: > 0 } identity)
        {
            return new RegistryLogin(null, null, identity);
        }
        if (stored.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 ? new RegistryLogin(pair[..colon], pair[(colon + 1)..], null) : null;
        }
        return null;
    }

    /// <summary>The credential helper protocol: the registry on standard input, {"Username","Secret"} on standard output.</summary>
    private static RegistryLogin? FromHelper(string helper, string registry)
    {
        var start = new ProcessStartInfo($"docker-credential-{helper}", "get")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(start)!;
            process.StandardInput.Write(registry);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)) || process.ExitCode != 0)
            {
                return null;
            }
            using var answer = JsonDocument.Parse(output.Result);
            var user = answer.RootElement.GetProperty("Username").GetString();
            var secret = answer.RootElement.GetProperty("Secret").GetString();
            // A helper hands an identity token back under this user name.
            return user == "<token>" ? new RegistryLogin(null, null, secret) : new RegistryLogin(user, secret, null);
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
