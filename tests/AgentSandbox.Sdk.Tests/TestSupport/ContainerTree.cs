using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using AgentSandbox.Docker;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>What an engine does with a copied workspace: extracts the tar it got, lets the container act on it, gives the tree back.</summary>
internal static class ContainerTree
{
    /// <param name="received">Gets the tree back (entries under workspace/, dot files included); null when nothing is taken back.</param>
    /// <param name="changedOnly">
    /// As the container's tar does with <see cref="HeldContainer.CopyOut"/>: a listing of every entry first, then only
    /// the entries the container changed (here: whose type, content, mode or link target differs from what was extracted).
    /// </param>
    public static void Run(Func<Stream> upload, Action<string> effect, Func<Stream, CancellationToken, Task>? received, bool changedOnly = false)
    {
        var scratch = Directory.CreateTempSubdirectory("agentsandbox-fake-container-").FullName;
        try
        {
            using (var stream = upload())
            {
                TarFile.ExtractToDirectory(stream, scratch, overwriteFiles: true);
            }
            var workspace = Path.Combine(scratch, "workspace");
            var extracted = States(Whole(workspace));
            effect(workspace);
            if (received is not null)
            {
                using var whole = Whole(workspace);
                var now = States(whole);
                using var tree = new MemoryStream();
                using (var writer = new TarWriter(tree, leaveOpen: true))
                {
                    if (changedOnly)
                    {
                        var listing = string.Concat(now.Select(entry => $"{entry.Value.Type} {entry.Key}\0"));
                        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, HeldContainer.ListingEntry) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(listing)) });
                    }
                    whole.Position = 0;
                    using var reader = new TarReader(whole, leaveOpen: true);
                    while (reader.GetNextEntry(copyData: true) is { } entry)
                    {
                        var name = entry.Name.TrimEnd('/');
                        if (!changedOnly || !extracted.TryGetValue(name, out var before) || before != now[name])
                        {
                            writer.WriteEntry(new PaxTarEntry(entry));
                        }
                    }
                }
                tree.Position = 0;
                received(tree, CancellationToken.None).GetAwaiter().GetResult();
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The whole tree as a tar, entries named workspace/... (dot files too, which TarFile.CreateFromDirectory skips: .git and .github are what matter here).</summary>
    private static MemoryStream Whole(string workspace)
    {
        var tree = new MemoryStream();
        // GNU's long names: a name with a line break (a test's hostile name) is a PAX record .NET cannot read back.
        using (var writer = new TarWriter(tree, TarEntryFormat.Gnu, leaveOpen: true))
        {
            writer.WriteEntry(workspace, "workspace");
            foreach (var entry in new DirectoryInfo(workspace).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                writer.WriteEntry(entry.FullName, "workspace/" + Path.GetRelativePath(workspace, entry.FullName).Replace(Path.DirectorySeparatorChar, '/'));
            }
        }
        tree.Position = 0;
        return tree;
    }

    /// <summary>Each entry of a tree by name, with find's type and what a change alters (mode, content, link target).</summary>
    private static Dictionary<string, (char Type, string State)> States(MemoryStream tree)
    {
        var states = new Dictionary<string, (char, string)>(StringComparer.Ordinal);
        using var reader = new TarReader(tree, leaveOpen: true);
        while (reader.GetNextEntry() is { } entry)
        {
            var content = entry.DataStream is { } data ? Convert.ToHexString(SHA256.HashData(data)) : "";
            states[entry.Name.TrimEnd('/')] = (entry.EntryType switch
            {
                TarEntryType.Directory => 'd',
                TarEntryType.RegularFile or TarEntryType.V7RegularFile => 'f',
                TarEntryType.SymbolicLink => 'l',
                TarEntryType.Fifo => 'p',
                _ => 'c',
            }, $"{entry.Mode} {entry.LinkName} {content}");
        }
        tree.Position = 0;
        return states;
    }
}
