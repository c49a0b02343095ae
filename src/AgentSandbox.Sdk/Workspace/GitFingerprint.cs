using System.Security.Cryptography;
using System.Text;

namespace AgentSandbox.Workspace;

/// <summary>
/// What git on the host would obey in a .git directory or file: its HEAD, config, commondir and hooks (a .git file:
/// its gitdir line). Two entries with the same fingerprint are the same repository as far as running code goes.
/// </summary>
internal static class GitFingerprint
{
    private static readonly string[] ObeyedFiles = ["HEAD", "config", "commondir", "gitdir"];

    public static string Of(string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string name, string file)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name + "\0"));
            try
            {
                hash.AppendData(File.ReadAllBytes(file));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                hash.AppendData("\0unreadable"u8);
            }
        }

        if (File.Exists(path))
        {
            Add(".git", path);
        }
        else
        {
            foreach (var name in ObeyedFiles.Where(name => File.Exists(Path.Combine(path, name))))
            {
                Add(name, Path.Combine(path, name));
            }
            var hooks = Path.Combine(path, "hooks");
            try
            {
                foreach (var hook in Directory.Exists(hooks) ? Directory.GetFiles(hooks).Order(StringComparer.Ordinal).ToArray() : [])
                {
                    Add("hooks/" + Path.GetFileName(hook), hook);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                hash.AppendData("\0hooks unreadable"u8);
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
