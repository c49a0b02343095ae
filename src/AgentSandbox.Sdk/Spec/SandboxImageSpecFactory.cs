using System.Text.RegularExpressions;
using AgentSandbox.Agents;
using AgentSandbox.Errors;
using AgentSandbox.Project;
using NuGet.Versioning;

namespace AgentSandbox.Spec;

/// <summary>The MSBuild inputs that shape the image, as given (unvalidated).</summary>
public sealed record SandboxImageInputs(
    string? BaseImage,
    string? AgentKind,
    string? AgentVersion,
    IReadOnlyList<string> SystemPackages,
    IReadOnlyList<string> CaCertificateFiles,
    string? AgentCommand = null,
    string? AgentInstallCommand = null);

public static partial class SandboxImageSpecFactory
{
    public const string DotNetSdkImage = "mcr.microsoft.com/dotnet/sdk";
    public const string NodeImage = "node:22-slim";

    // Package names go into a shell command: allow only what Debian and Alpine package names (with =version) use.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9+._:~=-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PackageName();

    // An image reference (registry/name:tag@digest) and nothing else: it is written after FROM.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageReference();

    public static SandboxImageSpec Create(ProjectMetadata project, SandboxImageInputs inputs, HostUser user)
    {
        var agent = AgentProfiles.Find(inputs.AgentKind, inputs.AgentCommand, inputs.AgentInstallCommand);
        return new SandboxImageSpec(
            BaseImage: string.IsNullOrWhiteSpace(inputs.BaseImage) ? ChooseBaseImage(project) : ValidateImage(inputs.BaseImage.Trim()),
            Agent: agent,
            AgentVersion: ParseAgentVersion(inputs.AgentVersion, agent),
            SystemPackages: ValidatePackages(inputs.SystemPackages),
            CaCertificates: ReadCaCertificates(inputs.CaCertificateFiles, project.ProjectDirectory),
            User: user,
            EnableWindowsTargeting: project.TargetFrameworks.Any(DotNetVersions.IsWindowsSpecific));
    }

    /// <summary>
    /// An SDK image the project builds with: the SDK global.json pins, unless a target framework needs a newer one
    /// (global.json may roll forward); else the highest target framework; else (netstandard, .NET Framework) the SDK
    /// running this build; node for projects that are not .NET at all.
    /// </summary>
    public static string ChooseBaseImage(ProjectMetadata project)
    {
        var highest = DotNetVersions.Highest(project.TargetFrameworks);
        if (NuGetVersion.TryParse(project.GlobalJsonSdkVersion, out var pinned)
            && (highest is null || new NuGetVersion(pinned.Major, pinned.Minor, 0) >= highest))
        {
            return $"{DotNetSdkImage}:{DotNetVersions.SdkImageTag(pinned)}";
        }
        if (highest is not null)
        {
            return $"{DotNetSdkImage}:{DotNetVersions.SdkImageTag(highest)}";
        }
        if (project.TargetFrameworks.Any(DotNetVersions.IsDotNet) && NuGetVersion.TryParse(project.HostSdkVersion, out var host))
        {
            return $"{DotNetSdkImage}:{DotNetVersions.SdkImageTag(host)}";
        }
        return NodeImage;
    }

    private static string ValidateImage(string image) => ImageReference().IsMatch(image)
        ? image
        : throw Diagnostics.InvalidValue("AgentBaseImage", image.ReplaceLineEndings(" "), "give an image reference such as mcr.microsoft.com/dotnet/sdk:10.0");

    public static NuGetVersion ParseAgentVersion(string? value, IAgentProfile agent)
    {
        // A custom agent has no version of ours to pin: AgentVersion is ignored (with a warning at run time).
        if (string.IsNullOrWhiteSpace(value) || agent.NpmPackage is null)
        {
            return agent.DefaultVersion;
        }
        return NuGetVersion.TryParse(value.Trim(), out var version)
            ? version
            : throw Diagnostics.InvalidValue("AgentVersion", value, $"give an exact {agent.NpmPackage} version such as {agent.DefaultVersion}");
    }

    private static IReadOnlyList<string> ValidatePackages(IReadOnlyList<string> packages)
    {
        var valid = packages.Select(p => p.Trim()).Where(p => p.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var invalid = valid.FirstOrDefault(p => !PackageName().IsMatch(p));
        return invalid is null
            ? valid
            : throw Diagnostics.InvalidValue("AgentSystemPackage", invalid, "give a package name of the base image's package manager, optionally with =version");
    }

    private static string? ReadCaCertificates(IReadOnlyList<string> files, string projectDirectory)
    {
        var pem = new List<string>();
        foreach (var file in files.Select(f => f.Trim()).Where(f => f.Length > 0).Distinct(StringComparer.Ordinal))
        {
            var path = Path.GetFullPath(file, projectDirectory);
            if (!File.Exists(path))
            {
                throw Diagnostics.CaCertificateMissing(path);
            }
            pem.Add(File.ReadAllText(path).Trim());
        }
        return pem.Count == 0 ? null : string.Join("\n", pem) + "\n";
    }
}
