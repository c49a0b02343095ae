using System.Text.RegularExpressions;
using NuGet.Versioning;

namespace AgentSandbox.Project;

/// <summary>Reads .NET versions out of target framework monikers and SDK versions.</summary>
internal static partial class DotNetVersions
{
    // net5.0 and later (optionally with a platform: net8.0-windows) and netcoreappX.Y run on an SDK of the same major.minor.
    [GeneratedRegex(@"^net(?:coreapp)?(?<version>\d+\.\d+)(?:-.*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ModernTargetFramework();

    /// <summary>The .NET version of a TFM such as net8.0 or netcoreapp3.1; null for netstandard, .NET Framework and non-.NET TFMs.</summary>
    public static NuGetVersion? FromTargetFramework(string targetFramework)
    {
        var match = ModernTargetFramework().Match(targetFramework.Trim());
        return match.Success && NuGetVersion.TryParse(match.Groups["version"].Value, out var version) ? version : null;
    }

    /// <summary>The highest .NET version among the project's TFMs, or null when none is a modern .NET TFM.</summary>
    public static NuGetVersion? Highest(IEnumerable<string> targetFrameworks) =>
        targetFrameworks.Select(FromTargetFramework).OfType<NuGetVersion>().Max();

    /// <summary>True for TFMs that need a .NET SDK to build (modern .NET, netstandard, .NET Framework).</summary>
    public static bool IsDotNet(string targetFramework) =>
        targetFramework.Trim().StartsWith("net", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for net8.0-windows and the like, which build on Linux only with EnableWindowsTargeting.</summary>
    public static bool IsWindowsSpecific(string targetFramework) =>
        targetFramework.Contains("-windows", StringComparison.OrdinalIgnoreCase);

    /// <summary>The SDK image tag for an SDK version: 8.0.404 is 8.0; previews are published as 10.0-preview.</summary>
    public static string SdkImageTag(NuGetVersion version) =>
        version.IsPrerelease ? $"{version.Major}.{version.Minor}-preview" : $"{version.Major}.{version.Minor}";
}
