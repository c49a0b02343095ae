using Microsoft.Build.Framework;

namespace AgentSandbox.Tasks;

/// <summary>The inputs that shape the sandbox image, which every task that makes one takes, and what it tells about the image.</summary>
public abstract partial class SandboxImageTask
{
    /// <summary>The project directory: global.json is looked up from here, relative paths are read against it.</summary>
    [Required] public string ProjectDirectory { get; set; } = "";

    /// <summary>The project's name, for messages.</summary>
    public string? ProjectName { get; set; }

    /// <summary>Where the generated Dockerfile and build context are written (AgentSandboxContextDirectory).</summary>
    [Required] public string ContextDirectory { get; set; } = "";

    /// <summary>$(TargetFrameworks);$(TargetFramework): chooses the .NET SDK base image.</summary>
    public string? TargetFrameworks { get; set; }

    /// <summary>The SDK running the build (NETCoreSdkVersion), for projects whose TFMs name no .NET version.</summary>
    public string? HostSdkVersion { get; set; }

    /// <summary>AgentBaseImage; empty chooses one from global.json and the TFMs.</summary>
    public string? BaseImage { get; set; }

    /// <summary>AgentKind: claude, codex, gemini or custom.</summary>
    public string? AgentKind { get; set; }

    /// <summary>AgentVersion: the agent CLI's npm version, pinned in the image.</summary>
    public string? AgentVersion { get; set; }

    /// <summary>AgentCommand: a custom agent's ;-separated command line.</summary>
    public string? AgentCommand { get; set; }

    /// <summary>AgentInstallCommand: shell commands that install a custom agent into the image.</summary>
    public string? AgentInstallCommand { get; set; }

    /// <summary>AgentSystemPackage items: more OS packages for the image.</summary>
    public ITaskItem[]? SystemPackages { get; set; }

    /// <summary>AgentCaCertificates as items: PEM files the image trusts.</summary>
    public ITaskItem[]? CaCertificates { get; set; }

    /// <summary>AgentUser: the uid:gid the agent runs as; empty for the build's user.</summary>
    public string? User { get; set; }

    /// <summary>AgentEngine: docker (the default) or kubernetes, whose pods run as non-root.</summary>
    public string? Engine { get; set; }

    /// <summary>AgentKubernetesNamespace: where the pods go (default).</summary>
    public string? KubernetesNamespace { get; set; }

    /// <summary>AgentKubernetesContext: the kubeconfig context; empty for its current one.</summary>
    public string? KubernetesContext { get; set; }

    /// <summary>The base image, as given or as chosen.</summary>
    [Output] public string ResolvedBaseImage { get; private set; } = "";

    [Output] public string DockerfilePath { get; private set; } = "";
}
