namespace AgentSandbox.Project;

/// <summary>What the sandbox needs to know about the project it is built for, read from MSBuild and the file system.</summary>
/// <param name="ProjectDirectory">Absolute path of the directory mounted into the sandbox.</param>
/// <param name="TargetFrameworks">The project's TargetFramework(s), as written (net8.0, net9.0-windows, netstandard2.0...).</param>
/// <param name="GlobalJsonSdkVersion">sdk.version of the nearest global.json above the project, if any.</param>
/// <param name="HostSdkVersion">The SDK running this build (NETCoreSdkVersion), for TFMs that name no .NET version.</param>
internal sealed record ProjectMetadata(
    string ProjectName,
    string ProjectDirectory,
    IReadOnlyList<string> TargetFrameworks,
    string? GlobalJsonSdkVersion,
    string? HostSdkVersion);
