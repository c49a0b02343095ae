using System.Text.RegularExpressions;
using AgentSandbox.Agents;
using AgentSandbox.Common;
using AgentSandbox.Errors;
using AgentSandbox.Project;
using AgentSandbox.Spec;
using AgentSandbox.Workspace;
using NuGet.Versioning;

namespace AgentSandbox.Inputs;

/// <summary>
/// The one place where a target's inputs are validated and resolved against the build's environment: the image
/// spec and, for the agent targets, the run spec, together. Nothing after it reads an input or the environment again.
/// </summary>
internal static partial class SandboxSpecFactory
{
    public const string DotNetSdkImage = "mcr.microsoft.com/dotnet/sdk";
    public const string NodeImage = "node:22-slim";

    /// <summary>The file GitHub Actions shows as the job's summary page.</summary>
    public const string StepSummaryVariable = "GITHUB_STEP_SUMMARY";

    /// <summary>AgentBuildNetwork values; "default" leaves RUN steps on the engine's default build network.</summary>
    public static readonly IReadOnlyList<string> BuildNetworks = ["default", "bridge", "host", "none"];

    // Package names go into a shell command: allow only what Debian and Alpine package names (with =version) use.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9+._:~=-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PackageName();

    // An image reference (registry/name:tag@digest) and nothing else: it is written after FROM.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageReference();

    /// <param name="hostEnvironment">Reads the build's environment (credentials are taken from here, by name).</param>
    /// <param name="buildUser">The user running the build; AgentUser overrides it.</param>
    /// <param name="identity">Labels the run's resources; only the agent targets use it.</param>
    /// <param name="secretKeys">The names of the keys a Secret of the cluster holds (never their values), for AgentKubernetesSecret; asked only when it is set.</param>
    public static (SandboxSpec Spec, IReadOnlyList<Warning> Warnings) Create(
        SandboxInputs inputs, Func<string, string?> hostEnvironment, HostUser buildUser, RunIdentity identity,
        Func<KubernetesCluster, string, IReadOnlyCollection<string>>? secretKeys = null)
    {
        var agent = AgentProfiles.Find(inputs.AgentKind, inputs.AgentCommand, inputs.AgentInstallCommand);
        var version = ParseAgentVersion(inputs.AgentVersion, agent);
        var cluster = ParseCluster(inputs);
        // A cluster runs the sandbox as non-root: a root build's agent gets an ordinary user there unless AgentUser says otherwise.
        var user = HostUser.Resolve(inputs.User, cluster is not null && buildUser.IsRoot ? KubernetesCluster.DefaultUser : buildUser);
        if (cluster is not null && user.IsRoot)
        {
            throw Diagnostics.NotOnKubernetes("runs as a non-root user, and AgentUser names root", "set AgentUser to a non-root uid:gid such as 1000:1000, or leave it empty");
        }
        var warnings = new List<Warning>();
        // The run's inputs before the rest of the image's: a missing prompt or key is the likeliest mistake.
        var inSecret = new HashSet<string>(StringComparer.Ordinal);
        if (inputs.Target is not null && cluster?.CredentialSecret is { } secret)
        {
            if (ParseNetwork(inputs.Network) is var network && network != AllowlistNetwork)
            {
                throw Diagnostics.InvalidValue("AgentNetwork", network, "AgentKubernetesSecret's keys go to the egress proxy's pod only, which needs AgentNetwork=allowlist (the default); with another network they would be in the agent's environment, where the build could not mask them in its log, as it never sees them");
            }
            inSecret.UnionWith((secretKeys ?? throw new InvalidOperationException("AgentKubernetesSecret needs the cluster's Secret read."))(cluster, secret));
        }
        var credentials = new CredentialSources(hostEnvironment, cluster?.CredentialSecret, inSecret);
        var run = inputs.Target is { } target ? CreateRun(target, inputs, agent, version, user, credentials, identity, warnings) : null;
        if (run is not null && cluster is not null)
        {
            run = OnCluster(run, cluster, warnings);
        }
        var project = new ProjectMetadata(inputs.ProjectName, inputs.ProjectDirectory, inputs.TargetFrameworks,
            GlobalJson.FindSdkVersion(inputs.ProjectDirectory), inputs.HostSdkVersion);
        var image = CreateImage(project, inputs, user, agent, version);
        var build = CreateImageBuild(inputs.BuildNetwork, hostEnvironment);
        var stepSummary = hostEnvironment(StepSummaryVariable) is { Length: > 0 } path ? path : null;
        return (new SandboxSpec(image, build, run, stepSummary), warnings);
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex KubernetesName();

    // A registry host (with a port) and an optional path of lower-case repository components.
    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex RegistryName();

    /// <summary>AgentEngine and, for kubernetes, its namespace and context; null for the Docker engine.</summary>
    public static KubernetesCluster? ParseCluster(SandboxInputs inputs)
    {
        var engine = string.IsNullOrWhiteSpace(inputs.Engine) ? "docker" : inputs.Engine.Trim().ToLowerInvariant();
        if (engine == "docker")
        {
            return string.IsNullOrWhiteSpace(inputs.KubernetesSecret) ? null
                : throw Diagnostics.InvalidValue("AgentKubernetesSecret", inputs.KubernetesSecret.Trim(), "it names a Secret of a cluster, read there by the proxy's pod: set AgentEngine=kubernetes too, or remove it");
        }
        if (engine != "kubernetes")
        {
            throw Diagnostics.UnknownValue("AgentEngine", inputs.Engine!.Trim(), ["docker", "kubernetes"]);
        }
        var space = string.IsNullOrWhiteSpace(inputs.KubernetesNamespace) ? KubernetesCluster.DefaultNamespace : inputs.KubernetesNamespace.Trim();
        if (!KubernetesName().IsMatch(space))
        {
            throw Diagnostics.InvalidValue("AgentKubernetesNamespace", space, "give a namespace's name (lower-case letters, digits and -, at most 63)");
        }
        var registry = string.IsNullOrWhiteSpace(inputs.ImageRegistry) ? null : inputs.ImageRegistry.Trim().TrimEnd('/');
        if (registry is not null && !RegistryName().IsMatch(registry))
        {
            throw Diagnostics.InvalidValue("AgentImageRegistry", registry, "give a registry's host (and port), optionally with a path, such as registry.example.com/team or 127.0.0.1:5000");
        }
        var secret = string.IsNullOrWhiteSpace(inputs.KubernetesSecret) ? null : inputs.KubernetesSecret.Trim();
        if (secret is not null && !SecretName().IsMatch(secret))
        {
            throw Diagnostics.InvalidValue("AgentKubernetesSecret", secret, "give the name of a Secret in AgentKubernetesNamespace (lower-case letters, digits, - and ., at most 253)");
        }
        return new KubernetesCluster(space, string.IsNullOrWhiteSpace(inputs.KubernetesContext) ? null : inputs.KubernetesContext.Trim())
        {
            ImageRegistry = registry,
            CredentialSecret = secret,
        };
    }

    [GeneratedRegex(@"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    /// <summary>
    /// A run on a cluster: what a pod cannot have is refused before anything is built. Nothing of this machine is
    /// mounted into a pod, and a pod has the cluster's network.
    /// </summary>
    private static AgentRunSpec OnCluster(AgentRunSpec run, KubernetesCluster cluster, List<Warning> warnings)
    {
        if (run.Policy.Mode == WorkspaceMode.Mount)
        {
            throw Diagnostics.NotOnKubernetes("mounts nothing of this machine", "use AgentWorkspaceMode=copy (the default) or worktree");
        }
        if (run.ExtraMounts.FirstOrDefault(mount => !mount.LocalFeed) is { } mount)
        {
            throw Diagnostics.NotOnKubernetes($"mounts nothing of this machine, so not the AgentExtraMount '{mount.Source}'", "remove it");
        }
        warnings.AddRange(run.ExtraMounts.Select(feed => Diagnostics.FeedLeftOut(feed.Source)));
        if (run.Network is not (AllowlistNetwork or "bridge" or "host"))
        {
            throw Diagnostics.NotOnKubernetes($"has the cluster's network, not AgentNetwork={run.Network}",
                "set AgentNetwork=allowlist (the default) or bridge (the pod's network as the cluster has it)");
        }
        if (run.Egress is { EgressNetwork: not "bridge" } egress)
        {
            throw Diagnostics.NotOnKubernetes($"reaches out through the cluster's network, not AgentEgressNetwork={egress.EgressNetwork}", "remove AgentEgressNetwork");
        }
        if (run.Sessions is { Discard: false })
        {
            throw Diagnostics.NotOnKubernetes("keeps nothing between pods, so no conversation of an earlier run to continue",
                "remove AgentResume and AgentSessionId (each run on a cluster starts a new conversation)");
        }
        // AgentFix's rounds are pods of their own: each starts a new conversation, told the build's errors afresh,
        // instead of continuing one that the last round's pod took with it.
        return run with { Cluster = cluster, ExtraMounts = [], Sessions = null };
    }

    /// <summary>The image spec from the project's metadata (global.json already read) and the image inputs.</summary>
    public static SandboxImageSpec CreateImage(ProjectMetadata project, SandboxInputs inputs, HostUser user)
    {
        var agent = AgentProfiles.Find(inputs.AgentKind, inputs.AgentCommand, inputs.AgentInstallCommand);
        return CreateImage(project, inputs, user, agent, ParseAgentVersion(inputs.AgentVersion, agent));
    }

    private static SandboxImageSpec CreateImage(ProjectMetadata project, SandboxInputs inputs, HostUser user, IAgentProfile agent, NuGetVersion version) =>
        new(
            BaseImage: string.IsNullOrWhiteSpace(inputs.BaseImage) ? ChooseBaseImage(project) : ValidateImage(inputs.BaseImage.Trim()),
            Agent: agent,
            AgentVersion: version,
            SystemPackages: ValidatePackages(inputs.SystemPackages),
            CaCertificates: ReadCaCertificates(inputs.CaCertificateFiles, project.ProjectDirectory),
            User: user,
            EnableWindowsTargeting: project.TargetFrameworks.Any(DotNetVersions.IsWindowsSpecific));

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

    private static NuGetVersion ParseAgentVersion(string? value, IAgentProfile agent)
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

    /// <summary>How the image is built: AgentBuildNetwork and the host's proxy settings.</summary>
    public static ImageBuildSettings CreateImageBuild(string? buildNetwork, Func<string, string?> hostEnvironment) =>
        new(ParseBuildNetwork(buildNetwork), ProxyVariables.FromHost(hostEnvironment));

    /// <returns>The network of the image's RUN steps; null for the engine's default.</returns>
    private static string? ParseBuildNetwork(string? value)
    {
        var network = string.IsNullOrWhiteSpace(value) ? "default" : value.Trim().ToLowerInvariant();
        return !BuildNetworks.Contains(network) ? throw Diagnostics.UnknownValue("AgentBuildNetwork", value!.Trim(), BuildNetworks)
            : network == "default" ? null
            : network;
    }
}
