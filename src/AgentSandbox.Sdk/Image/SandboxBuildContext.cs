using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using AgentSandbox.Common;
using AgentSandbox.Spec;

namespace AgentSandbox.Image;

/// <summary>
/// The image's build context: only generated files (the Dockerfile and the CA bundle), never the project tree.
/// The image's tag is a hash of these files and of the base image's ID, so an unchanged project on an unchanged base
/// finds its image and builds nothing, and a base rebuilt or pulled anew under the same name gets a new image.
/// </summary>
internal sealed class SandboxBuildContext
{
    public const string Dockerfile = "Dockerfile";
    public const string ImageRepository = "agentsandbox";

    /// <summary>Every file a context can hold; nothing else is read, written or deleted.</summary>
    private static readonly IReadOnlyList<string> GeneratedFiles = [Dockerfile, DockerfileGenerator.CaCertificatesFile];

    private readonly SortedDictionary<string, byte[]> _files;

    private SandboxBuildContext(SortedDictionary<string, byte[]> files)
    {
        _files = files;
    }

    /// <summary>agentsandbox:&lt;16 hex digits of SHA-256 over every file's name and content, and the base image's ID&gt;.</summary>
    /// <param name="baseImageId">The engine's ID of the base image (sha256:…): what the name FROM gives stands for today.</param>
    public string ImageTagFor(string baseImageId)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, content) in _files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData([0]);
            hash.AppendData(BitConverter.GetBytes((long)content.Length));
            hash.AppendData(content);
        }
        hash.AppendData(Encoding.UTF8.GetBytes(baseImageId));
        return $"{ImageRepository}:{Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant()}";
    }

    public IReadOnlyDictionary<string, byte[]> Files => _files;

    public static SandboxBuildContext FromSpec(SandboxImageSpec spec)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [Dockerfile] = Encoding.UTF8.GetBytes(DockerfileGenerator.Generate(spec)),
        };
        if (spec.CaCertificates is not null)
        {
            files[DockerfileGenerator.CaCertificatesFile] = Encoding.UTF8.GetBytes(spec.CaCertificates);
        }
        return new SandboxBuildContext(files);
    }

    /// <summary>Reads a context written by <see cref="WriteTo"/>, so the image step builds exactly what users can read.</summary>
    public static SandboxBuildContext ReadFrom(string directory)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in GeneratedFiles)
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                files[name] = File.ReadAllBytes(path);
            }
        }
        return new SandboxBuildContext(files);
    }

    /// <summary>
    /// Writes the files and removes generated ones an earlier generation left (a CA file no longer configured).
    /// Only our own file names are touched, wherever AgentSandboxContextDirectory points; unchanged files are not rewritten.
    /// </summary>
    /// <param name="reach">The folder the agent could write to: no link planted inside it is followed.</param>
    public void WriteTo(string directory, string reach)
    {
        SafeFiles.CreateDirectory(directory, reach);
        foreach (var stale in GeneratedFiles.Where(name => !_files.ContainsKey(name)))
        {
            SafeFiles.Delete(Path.Combine(directory, stale), reach);
        }
        foreach (var (name, content) in _files)
        {
            var path = Path.Combine(directory, name);
            // A link is rewritten (replaced) even when what it points at has the same content.
            if (new FileInfo(path).LinkTarget is not null || !File.Exists(path) || !File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
            {
                SafeFiles.Write(path, content, reach);
            }
        }
    }

    /// <summary>The context as the tar stream the engine's build endpoint takes.</summary>
    public MemoryStream ToTar()
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in _files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(content),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = DateTimeOffset.UnixEpoch,
                });
            }
        }
        tar.Position = 0;
        return tar;
    }
}
