using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace AgentSandbox.Image;

/// <summary>
/// The egress proxy in the sandbox image: the package carries it (a self-contained Linux program, published for
/// linux-x64 and linux-arm64 next to the task assembly), and one layer on top of the sandbox image adds it. Nothing is
/// pulled and the sandbox image's own build context stays the generated files only.
/// </summary>
internal static class EgressImage
{
    /// <summary>Where the proxy is in the image: outside the workspace and every folder the agent may write.</summary>
    public const string ProxyPath = "/opt/agentsandbox/agentsandbox-egress";

    private const string ProxyFile = "agentsandbox-egress";

    /// <summary>The proxy's digest per file, read (or, without the file the build writes beside it, worked out) once per process.</summary>
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> Digests = new();

    /// <summary>The proxy for an engine architecture (amd64, arm64); null when the package has none for it.</summary>
    public static string? ProxyFor(string architecture)
    {
        var rid = architecture switch
        {
            "amd64" or "x86_64" => "linux-x64",
            "arm64" or "aarch64" => "linux-arm64",
            _ => null,
        };
        var path = rid is null ? null : Path.Combine(Path.GetDirectoryName(typeof(EgressImage).Assembly.Location)!, "egress", rid, ProxyFile);
        return path is not null && File.Exists(path) ? path : null;
    }

    /// <summary>The sandbox image's tag with the proxy's digest: a new proxy or a new sandbox image is a new image.</summary>
    public static string TagFor(string sandboxTag, string proxy)
    {
        var file = new FileInfo(proxy);
        var digest = Digests.GetOrAdd((file.FullName, file.Length, file.LastWriteTimeUtc), key =>
        {
            var written = key.Path + ".sha256";
            if (File.Exists(written) && File.GetLastWriteTimeUtc(written) >= key.Written && File.ReadAllText(written).Trim() is { Length: 64 } hex)
            {
                return hex[..12].ToLowerInvariant();
            }
            using var stream = File.OpenRead(key.Path);
            return Convert.ToHexString(SHA256.HashData(stream))[..12].ToLowerInvariant();
        });
        return $"{sandboxTag}-egress-{digest}";
    }

    public static string Dockerfile(string sandboxTag) =>
        $"FROM {sandboxTag}\nCOPY {ProxyFile} {ProxyPath}\n";

    /// <summary>The build context: the Dockerfile and the proxy, executable by all and owned by root.</summary>
    public static MemoryStream Context(string sandboxTag, string proxy)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, SandboxBuildContext.Dockerfile)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(Dockerfile(sandboxTag))),
                Mode = readable,
                ModificationTime = DateTimeOffset.UnixEpoch,
            });
            using var program = File.OpenRead(proxy);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ProxyFile)
            {
                DataStream = program,
                Mode = readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute,
                ModificationTime = DateTimeOffset.UnixEpoch,
            });
        }
        tar.Position = 0;
        return tar;
    }
}
