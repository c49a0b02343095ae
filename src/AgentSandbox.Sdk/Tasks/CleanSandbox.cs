using AgentSandbox.Docker;
using AgentSandbox.Inputs;
using AgentSandbox.Kubernetes;
using AgentSandbox.Logging;
using AgentSandbox.Spec;

namespace AgentSandbox.Tasks;

/// <summary>
/// AgentSandboxClean: removes every container, network and volume (package caches, agent sessions) of ours from the
/// engine (running ones too: other builds' runs end with AGS2xxx), and with AgentCleanImages=true the sandbox images.
/// Nothing without our labels.
/// </summary>
public sealed class CleanSandbox : AgentSandboxTask
{
    /// <summary>AgentDockerHost; empty for DOCKER_HOST, else the current Docker context.</summary>
    public string? DockerHost { get; set; }

    /// <summary>AgentCleanImages: true removes the sandbox images too (the next run builds its image again).</summary>
    public bool CleanImages { get; set; }

    /// <summary>AgentEngine: with kubernetes, the pods, Secrets and NetworkPolicies of ours in AgentKubernetesNamespace go too.</summary>
    public string? Engine { get; set; }

    public string? KubernetesNamespace { get; set; }

    public string? KubernetesContext { get; set; }

    private protected override async Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        var cluster = SandboxSpecFactory.ParseCluster(new SandboxInputs { ProjectDirectory = ".", Engine = Engine, KubernetesNamespace = KubernetesNamespace, KubernetesContext = KubernetesContext });
        if (cluster is not null)
        {
            using var pods = KubernetesEngine.Connect(cluster.Namespace, cluster.Context);
            var onCluster = await pods.ListLabelledAsync(RunIdentity.VersionLabel, cancellationToken).ConfigureAwait(false);
            foreach (var resource in onCluster.OrderBy(resource => resource.Kind))
            {
                await pods.RemoveAsync(resource, cancellationToken).ConfigureAwait(false);
            }
            log.Important($"AgentSandboxClean: removed {pods.Count(ResourceKind.Container, onCluster.Count(r => r.Kind == ResourceKind.Container))}, " +
                $"{pods.Count(ResourceKind.Secret, onCluster.Count(r => r.Kind == ResourceKind.Secret))} and " +
                $"{pods.Count(ResourceKind.Network, onCluster.Count(r => r.Kind == ResourceKind.Network))} of AgentSandbox's from the cluster {pods.Cluster}.");
        }
        var engine = DockerEngine.Connect(DockerHost);
        List<EngineResource> ours;
        try
        {
            ours = [.. await engine.ListLabelledAsync(RunIdentity.VersionLabel, cancellationToken).ConfigureAwait(false)];
        }
        catch (Errors.AgentSandboxException unreachable) when (cluster is not null && Errors.Diagnostics.IsEngineUnreachable(unreachable))
        {
            // A build that runs in a pod, or a runner without Docker: the cluster was what there was to clean.
            log.Info($"AgentSandboxClean: no Docker engine answered at {engine.Endpoint}, so only the cluster was cleaned.");
            return;
        }
        if (CleanImages)
        {
            ours.AddRange(await engine.ListImagesLabelledAsync(RunIdentity.LabelPrefix + "generated", cancellationToken).ConfigureAwait(false));
        }
        // Containers, then the networks they were on and the volumes they used, then the images they ran.
        foreach (var resource in ours.OrderBy(resource => resource.Kind))
        {
            await engine.RemoveAsync(resource, cancellationToken).ConfigureAwait(false);
            log.Info($"Removed {resource.Kind.ToString().ToLowerInvariant()} {resource.Name}.");
        }
        log.Important($"AgentSandboxClean: removed {Common.Text.Count(ours.Count(r => r.Kind == ResourceKind.Container), "container")}, " +
            $"{Common.Text.Count(ours.Count(r => r.Kind == ResourceKind.Network), "network")}, " +
            $"{Common.Text.Count(ours.Count(r => r.Kind == ResourceKind.Volume), "volume")} (package caches, agent sessions and proxies' sockets)" +
            (CleanImages ? $" and {Common.Text.Count(ours.Count(r => r.Kind == ResourceKind.Image), "image")}" : " (AgentCleanImages=true removes the sandbox images too)") +
            $" of AgentSandbox's from {engine.Endpoint}.");
    }
}
