namespace AgentSandbox.Sdk.TestSupport;

/// <summary>This repository's files, for the tests that hold the code to them (README, schemas, build/).</summary>
internal static class Repository
{
    public static readonly string Root = FindRoot();

    public static string File(string relativePath) => Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "AgentSandbox.Sdk.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("The tests run outside the repository: AgentSandbox.Sdk.sln not found above " + AppContext.BaseDirectory);
    }
}
