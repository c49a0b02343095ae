using System.Globalization;
using System.Text.RegularExpressions;
using AgentSandbox.Docker;
using k8s.Models;

namespace AgentSandbox.Kubernetes;

/// <summary>
/// The objects a run makes on a cluster, from the same request a Docker engine gets: the pod held open for the
/// workspace, the egress proxy's pod, the Secret that carries their credentials, and their NetworkPolicies. Only
/// fields that exist from Kubernetes 1.20 on.
/// </summary>
internal static partial class PodSpecs
{
    private const string Workspace = "workspace";
    private const string ProxyConfigurationFolder = "/var/run/agentsandbox-egress";
    private const string ProxyConfigurationKey = "egress-configuration";

    /// <summary>The Secret's name for a pod: its variables and the proxy's configuration.</summary>
    public static string SecretName(ContainerRequest request) => request.Name + "-secrets";

    public static V1Pod Pod(ContainerRequest request, ContainerFiles files)
    {
        var owner = files.Owner;
        var volumes = new List<V1Volume>
        {
            // Memory counts against the container's limit, as a tmpfs does on Docker; on disk otherwise.
            EmptyDir(Workspace, files.MemoryBytes, inMemory: files.MemoryBytes is not null),
        };
        var mounts = new List<V1VolumeMount> { new() { Name = Workspace, MountPath = files.Folder } };
        foreach (var (folder, index) in request.Scratch.Select((folder, index) => (folder, index)))
        {
            volumes.Add(EmptyDir($"scratch-{index}", folder.Bytes, inMemory: true));
            mounts.Add(new V1VolumeMount { Name = $"scratch-{index}", MountPath = folder.Path });
        }
        // A cluster keeps no volume of ours between pods: caches last as long as the pod.
        foreach (var (cache, index) in request.Caches.Select((cache, index) => (cache, index)))
        {
            volumes.Add(EmptyDir($"cache-{index}", null, inMemory: false));
            mounts.Add(new V1VolumeMount { Name = $"cache-{index}", MountPath = cache.Target });
        }
        var sandbox = new V1Container
        {
            Name = KubernetesEngine.SandboxContainer,
            Image = request.Image,
            ImagePullPolicy = "IfNotPresent",
            Command = [.. HeldContainer.Holder],
            Env = [.. request.Environment.Keys.Order(StringComparer.Ordinal).Select(name => FromSecret(request, name, name))],
            SecurityContext = Locked(owner.Uid, owner.Gid, request.ReadOnlyRootFilesystem),
            Resources = Resources(request.Limits.MemoryBytes, request.Limits.Cpus),
            VolumeMounts = mounts,
        };
        return LockedPod(request.Name, request, owner, request.Runtime, sandbox, volumes);
    }

    /// <summary>
    /// The egress proxy in a pod of its own, as on Docker it is a container of its own: a policy can then let the
    /// agent's pod reach this pod and nothing else. Its configuration (credentials included) comes from the Secret,
    /// mounted into this pod only, as its standard input; another user than the agent's, read-only, no privileges.
    /// </summary>
    public static V1Pod ProxyPod(ContainerRequest request, EgressGateway egress, Project.HostUser owner)
    {
        var user = owner.Uid == Nobody ? Nobody - 1 : Nobody;
        var proxy = new V1Container
        {
            Name = KubernetesEngine.ProxyContainer,
            Image = egress.Image,
            ImagePullPolicy = "IfNotPresent",
            Command = ["sh", "-c", $"exec \"$0\" \"$@\" < {ProxyConfigurationFolder}/configuration", .. egress.Command],
            Env = [new V1EnvVar { Name = "DOTNET_EnableDiagnostics", Value = "0" }],
            SecurityContext = Locked(user, user, readOnlyRoot: true),
            Resources = Resources(256L * 1024 * 1024, null),
            VolumeMounts = [new V1VolumeMount { Name = "egress-configuration", MountPath = ProxyConfigurationFolder, ReadOnlyProperty = true }],
        };
        var configuration = new V1Volume
        {
            Name = "egress-configuration",
            Secret = new V1SecretVolumeSource
            {
                SecretName = SecretName(request),
                Items = [new V1KeyToPath { Key = ProxyConfigurationKey, Path = "configuration" }],
                DefaultMode = Convert.ToInt32("0444", 8),
            },
        };
        var volumes = new List<V1Volume> { configuration };
        if (egress.ClusterKeys is { } keys)
        {
            // The user's own Secret (AgentKubernetesSecret): only the keys the proxy adds, in this pod only.
            volumes.Add(new V1Volume
            {
                Name = "cluster-keys",
                Secret = new V1SecretVolumeSource
                {
                    SecretName = keys.Secret,
                    Items = [.. keys.Keys.Select(key => new V1KeyToPath { Key = key, Path = key })],
                    DefaultMode = Convert.ToInt32("0444", 8),
                },
            });
            proxy.VolumeMounts.Add(new V1VolumeMount { Name = "cluster-keys", MountPath = keys.Folder, ReadOnlyProperty = true });
        }
        // The proxy needs no sandboxing runtime: it runs our code only.
        return LockedPod(request.GatewayName, request with { Labels = WithPurpose(request.Labels, ProxyPurpose) }, new Project.HostUser(user, user), null, proxy, volumes);
    }

    /// <summary>
    /// The variables that name the proxy (its URL, the agent's base URL, NO_PROXY), with its pod's address for its
    /// name, as NAME=value for env in front of the command: the pods start together, so the sandbox's is made before
    /// the proxy's has an address, and a pod's hosts file is not the agent's to change. None of them is a secret.
    /// </summary>
    public static IReadOnlyList<string> AtProxyAddress(ContainerRequest request, string address) =>
        request.Egress is { } egress
            ? [.. egress.Addressed(request.Environment, address).Where(variable => variable.Value != request.Environment[variable.Key])
                .OrderBy(variable => variable.Key, StringComparer.Ordinal)
                .Select(variable => $"{variable.Key}={variable.Value}")]
            : [];

    private static V1Pod LockedPod(string name, ContainerRequest request, Project.HostUser user, string? runtime, V1Container container,
        List<V1Volume> volumes) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = Metadata(name, request),
        Spec = new V1PodSpec
        {
            RestartPolicy = "Never",
            AutomountServiceAccountToken = false,
            EnableServiceLinks = false,
            TerminationGracePeriodSeconds = 0,
            RuntimeClassName = runtime,
            SecurityContext = new V1PodSecurityContext
            {
                RunAsUser = user.Uid,
                RunAsGroup = user.Gid,
                RunAsNonRoot = true,
                SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
            },
            Containers = [container],
            Volumes = volumes,
        },
    };

    private const uint Nobody = 65534;

    /// <summary>The variables' values and the proxy's configuration: never in the pod's spec, where anyone who may read pods would see them.</summary>
    public static V1Secret Secret(ContainerRequest request)
    {
        var data = request.Environment.ToDictionary(variable => variable.Key, variable => variable.Value, StringComparer.Ordinal);
        if (request.Egress is { } egress)
        {
            data[ProxyConfigurationKey] = egress.Configuration + "\n";
        }
        return new V1Secret { ApiVersion = "v1", Kind = "Secret", Metadata = Metadata(SecretName(request), request), Type = "Opaque", StringData = data };
    }

    /// <summary>
    /// The sandbox's pod takes no connection from anywhere, and with an allowlist reaches its proxy's pod and nothing
    /// else, not even the cluster's DNS (the proxy's name is in its hosts file), where the cluster's network enforces
    /// policies. Without one (AgentNetwork=bridge or host) its way out is the cluster's.
    /// </summary>
    public static V1NetworkPolicy Policy(ContainerRequest request) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = Metadata(request.Name, request),
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = Selector(request, Purpose(request.Labels)),
            PolicyTypes = request.Egress is null ? ["Ingress"] : ["Ingress", "Egress"],
            Ingress = [],
            Egress = request.Egress is null ? null : [new V1NetworkPolicyEgressRule { To = [new V1NetworkPolicyPeer { PodSelector = Selector(request, ProxyPurpose) }] }],
        },
    };

    /// <summary>
    /// The proxy's pod takes connections from its sandbox's pod only. Its own way out is the cluster's: it lets
    /// through only the allowlist's hosts by name, which a policy's addresses cannot express.
    /// </summary>
    public static V1NetworkPolicy ProxyPolicy(ContainerRequest request) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = Metadata(request.GatewayName, request),
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = Selector(request, ProxyPurpose),
            PolicyTypes = ["Ingress"],
            Ingress = [new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { PodSelector = Selector(request, Purpose(request.Labels)) }] }],
        },
    };

    /// <summary>A run's pods share its pod label; their purpose (agent, build, test; egress for the proxy) tells them apart.</summary>
    private static V1LabelSelector Selector(ContainerRequest request, string purpose) => new()
    {
        MatchLabels = new Dictionary<string, string> { [PodLabel] = PodLabelValue(request.Name), [PurposeLabel] = purpose },
    };

    private const string PurposeLabel = "org.agentsandbox.purpose";
    private const string ProxyPurpose = "egress";

    private static string Purpose(IReadOnlyDictionary<string, string> labels) => labels.TryGetValue(PurposeLabel, out var purpose) ? purpose : "agent";

    private static Dictionary<string, string> WithPurpose(IReadOnlyDictionary<string, string> labels, string purpose) =>
        new(labels, StringComparer.Ordinal) { [PurposeLabel] = purpose };

    /// <summary>The label that names a pod, for its policy.</summary>
    private const string PodLabel = "org.agentsandbox.pod";

    private static string PodLabelValue(string name) => name.Length <= 63 ? name : name[..63].TrimEnd('-');

    /// <summary>
    /// Every label whole as an annotation (the sweep reads them there), and as a label where Kubernetes takes the
    /// value (63 characters, no path or colon): the version label, which the sweep selects on, always is. Each of a
    /// pod's objects names the pod.
    /// </summary>
    private static V1ObjectMeta Metadata(string name, ContainerRequest request) => new()
    {
        Name = name,
        Labels = WithPurpose(request.Labels, Purpose(request.Labels)).Where(label => LabelValue().IsMatch(label.Value)).Append(new(PodLabel, PodLabelValue(request.Name)))
            .ToDictionary(label => label.Key, label => label.Value, StringComparer.Ordinal),
        Annotations = request.Labels.ToDictionary(label => label.Key, label => label.Value, StringComparer.Ordinal),
    };

    [GeneratedRegex(@"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();

    private static V1EnvVar FromSecret(ContainerRequest request, string variable, string key) => new()
    {
        Name = variable,
        ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName(request), Key = key } },
    };

    private static V1SecurityContext Locked(uint uid, uint gid, bool readOnlyRoot) => new()
    {
        RunAsUser = uid,
        RunAsGroup = gid,
        RunAsNonRoot = true,
        AllowPrivilegeEscalation = false,
        Privileged = false,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
        ReadOnlyRootFilesystem = readOnlyRoot,
    };

    /// <summary>
    /// The limits as given; the requests (what the scheduler sets aside) an eighth of the memory and a tenth of the
    /// CPUs, so that several runs share a node as they share a machine on Docker.
    /// </summary>
    private static V1ResourceRequirements Resources(long? memoryBytes, double? cpus)
    {
        var limits = new Dictionary<string, ResourceQuantity>();
        var requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(Millis((cpus ?? 1) / 10)) };
        if (memoryBytes is { } memory)
        {
            limits["memory"] = new(memory.ToString(CultureInfo.InvariantCulture));
            requests["memory"] = new((memory / 8).ToString(CultureInfo.InvariantCulture));
        }
        if (cpus is { } cores)
        {
            limits["cpu"] = new(Millis(cores));
        }
        return new V1ResourceRequirements { Limits = limits, Requests = requests };
    }

    private static string Millis(double cores) => Math.Max(1, (long)Math.Round(cores * 1000)).ToString(CultureInfo.InvariantCulture) + "m";

    private static V1Volume EmptyDir(string name, long? bytes, bool inMemory) => new()
    {
        Name = name,
        EmptyDir = new V1EmptyDirVolumeSource
        {
            Medium = inMemory ? "Memory" : null,
            SizeLimit = bytes is { } size ? new ResourceQuantity(size.ToString(CultureInfo.InvariantCulture)) : null,
        },
    };
}
