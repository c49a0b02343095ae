using System.Xml;
using System.Xml.Linq;

namespace AgentSandbox.Workspace;

/// <summary>The nuget.config files NuGet reads for a folder: each one in it and in the folders above it.</summary>
internal static class NuGetConfigs
{
    /// <summary>The nuget.config files a restore on the host reads but one in the sandbox cannot: those above the workspace.</summary>
    public static IReadOnlyList<string> Above(string workspaceRoot) =>
        Directory.GetParent(Path.TrimEndingDirectorySeparator(workspaceRoot)) is { } parent ? AtOrAbove(parent.FullName) : [];

    /// <summary>nuget.org's feed: the source of a fresh user configuration, which the sandbox's restore has unless a nuget.config clears it.</summary>
    public const string NuGetOrg = "https://api.nuget.org/v3/index.json";

    /// <summary>
    /// The hosts (host, or host:port for a port other than 80 and 443) of the http(s) package sources a restore in
    /// <paramref name="directory"/> uses. Local folder feeds have no host.
    /// </summary>
    public static IReadOnlyList<string> FeedHosts(string directory) =>
        Sources(directory)
            .Select(source => Uri.TryCreate(source.Value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri : null)
            .OfType<Uri>()
            .Select(uri => uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}")
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();

    /// <summary>
    /// The package sources a restore in <paramref name="directory"/> uses: nuget.org unless cleared, then each
    /// nuget.config from the farthest to the nearest, with its clear, add and remove, as NuGet merges them.
    /// </summary>
    /// <param name="reads">Which of the nuget.config files the restore reads (the sandbox's: those in its workspace); null for all.</param>
    public static IReadOnlyList<PackageSource> Sources(string directory, Func<string, bool>? reads = null)
    {
        var sources = new Dictionary<string, PackageSource>(StringComparer.OrdinalIgnoreCase) { ["nuget.org"] = new("nuget.org", NuGetOrg, Config: null) };
        foreach (var file in AtOrAbove(directory).Reverse().Where(file => reads?.Invoke(file) ?? true))
        {
            XElement? packageSources;
            try
            {
                packageSources = XDocument.Load(file).Root?.Element("packageSources");
            }
            catch (Exception exception) when (exception is XmlException or IOException or UnauthorizedAccessException)
            {
                // NuGet fails on it with its own message; nothing comes from it here.
                continue;
            }
            foreach (var entry in packageSources?.Elements() ?? [])
            {
                var key = (string?)entry.Attribute("key") ?? "";
                switch (entry.Name.LocalName)
                {
                    case "clear":
                        sources.Clear();
                        break;
                    case "add" when ((string?)entry.Attribute("value"))?.Trim() is { Length: > 0 } value:
                        sources[key] = new PackageSource(key, value, file);
                        break;
                    case "remove":
                        sources.Remove(key);
                        break;
                }
            }
        }
        return [.. sources.Values];
    }

    /// <summary>Each nuget.config (any case, as NuGet finds it on Linux) in <paramref name="directory"/> and the folders above it, nearest first.</summary>
    public static IReadOnlyList<string> AtOrAbove(string directory)
    {
        var found = new List<string>();
        for (var current = new DirectoryInfo(Path.TrimEndingDirectorySeparator(directory)); current is not null; current = current.Parent)
        {
            try
            {
                found.AddRange(current.EnumerateFiles("*", new EnumerationOptions { MatchCasing = MatchCasing.CaseInsensitive, IgnoreInaccessible = true })
                    .Where(file => file.Name.Equals("nuget.config", StringComparison.OrdinalIgnoreCase))
                    .Select(file => file.FullName)
                    .Order(StringComparer.Ordinal));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // A directory the build user cannot list holds nothing NuGet could read either.
            }
        }
        return found;
    }
}

/// <summary>A package source as the merged configuration has it.</summary>
/// <param name="Value">As the nuget.config writes it: a URL, or a folder (relative to the config's folder).</param>
/// <param name="Config">The nuget.config that adds it; null for nuget.org's default.</param>
internal sealed record PackageSource(string Key, string Value, string? Config);
