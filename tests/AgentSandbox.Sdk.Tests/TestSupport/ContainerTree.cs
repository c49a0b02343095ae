using System.Formats.Tar;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>What an engine does with a copied workspace: extracts the tar it got, lets the container act on it, gives the tree back.</summary>
internal static class ContainerTree
{
    /// <param name="received">Gets the tree back (entries under workspace/, dot files included); null when nothing is taken back.</param>
    public static void Run(Func<Stream> upload, Action<string> effect, Func<Stream, CancellationToken, Task>? received)
    {
        var scratch = Directory.CreateTempSubdirectory("agentsandbox-fake-container-").FullName;
        try
        {
            using (var stream = upload())
            {
                TarFile.ExtractToDirectory(stream, scratch, overwriteFiles: true);
            }
            var workspace = Path.Combine(scratch, "workspace");
            effect(workspace);
            if (received is not null)
            {
                using var tree = new MemoryStream();
                using (var writer = new TarWriter(tree, leaveOpen: true))
                {
                    // Dot files too (TarFile.CreateFromDirectory skips them as hidden): .git and .github are what matter here.
                    writer.WriteEntry(workspace, "workspace");
                    foreach (var entry in new DirectoryInfo(workspace).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
                    {
                        writer.WriteEntry(entry.FullName, "workspace/" + Path.GetRelativePath(workspace, entry.FullName).Replace(Path.DirectorySeparatorChar, '/'));
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
}
