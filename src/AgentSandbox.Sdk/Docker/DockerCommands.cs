using System.Text.Json.Nodes;
using AgentSandbox.Common;

namespace AgentSandbox.Docker;

/// <summary>
/// AgentDryRun: the docker commands equivalent to what the engine would be asked to do. Fixed settings of ours appear
/// with their values, so that a line runs as it is; any other variable appears by name only (docker takes its value
/// from the environment), as it may be a secret.
/// </summary>
internal static class DockerCommands
{
    /// <param name="contextDirectory">The build context on disk.</param>
    /// <param name="network">The network of RUN steps; null for the engine's default.</param>
    public static string Build(string contextDirectory, string dockerfile, string? network) =>
        Text.CommandLine(["docker", "build", .. network is null ? [] : (string[])["--network", network],
            "-f", Path.Combine(contextDirectory, dockerfile), "-t", "agentsandbox:<hash of the context and the base image's ID>", contextDirectory]);

    /// <summary>One container, run to its end and removed: docker run, or with files, held open while they go in, the command runs and they come back.</summary>
    public static IReadOnlyList<string> Run(ContainerRequest request)
    {
        var original = request;
        var sockets = request.Egress is not null && EgressSockets.Fit(request);
        request = sockets ? EgressSockets.AgentSide(request, request.Egress!) : request;
        List<string> options = ["--name", request.Name, "--network", request.Network, "--workdir", request.WorkingDirectory];
        if (request.Limits.DropAllCapabilities)
        {
            options.AddRange(["--cap-drop", "ALL"]);
        }
        if (request.Limits.NoNewPrivileges)
        {
            options.AddRange(["--security-opt", "no-new-privileges"]);
        }
        options.AddRange(["--pids-limit", request.Limits.PidsLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (DockerEngine.InitOf(request))
        {
            options.Add("--init");
        }
        if (request.Limits.MemoryBytes is { } memory)
        {
            var bytes = memory.ToString(System.Globalization.CultureInfo.InvariantCulture);
            options.AddRange(["--memory", bytes, "--memory-swap", bytes]);
        }
        if (request.Limits.Cpus is { } cpus)
        {
            options.AddRange(["--cpus", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        if (request.Runtime is { } runtime)
        {
            options.AddRange(["--runtime", runtime]);
        }
        foreach (var folder in DockerEngine.ScratchOf(request))
        {
            options.AddRange(["--tmpfs", $"{folder.Path}:{folder.Options}"]);
        }
        if (request.ReadOnlyRootFilesystem)
        {
            options.Add("--read-only");
            if (request.Files is { MemoryBytes: null } volume)
            {
                options.AddRange(["--mount", $"type=volume,target={volume.Folder}"]);
            }
        }
        foreach (var mount in request.Mounts)
        {
            options.AddRange(["--mount", $"type={mount.Type},source={mount.Source},target={mount.Target}{(mount.ReadOnly ? ",readonly" : "")}"]);
        }
        foreach (var cache in request.Caches)
        {
            options.AddRange(["--mount", $"type=volume,source={cache.Name},target={cache.Target}"]);
        }
        foreach (var name in request.Environment.Keys.Order(StringComparer.Ordinal))
        {
            options.AddRange(["--env", request.Settings.Contains(name) ? $"{name}={request.Environment[name]}" : name]);
        }
        options.AddRange(Labels(request.Labels.ToDictionary()));
        // A prompt too long for an argument goes to standard input.
        var input = request.Stdin is null ? "" : " < prompt.txt";
        string[] interactive = request.Stdin is null ? [] : ["--interactive"];
        List<string> commands = original.Egress is { } egress ? StartGateway(original, egress, sockets) : [];
        if (request.Files is not { } files)
        {
            commands.Add(Text.CommandLine(["docker", "run", "--rm", .. options, .. interactive, request.Image, .. request.Command]) + input);
        }
        else
        {
            string[] owner = ["--user", files.Owner.ToString()];
            commands.AddRange(
            [
                Text.CommandLine(["docker", "run", "--detach", "--user", HeldContainer.HolderUser(files.Owner), .. options, request.Image, .. HeldContainer.Holder]),
                Text.CommandLine(["docker", "exec", "--interactive", .. owner, request.Name, .. HeldContainer.CopyIn(files.Folder)]) + " < workspace.tar",
                Text.CommandLine(["docker", "exec", .. interactive, .. owner, "--workdir", request.WorkingDirectory, request.Name, .. HeldContainer.Command(request.Command)]) + input,
            ]);
            if (files.Received is not null)
            {
                commands.Add(Text.CommandLine(["docker", "exec", .. owner, request.Name, .. HeldContainer.CopyOut(files.Folder, files.ChangedOnly)]) + " > returned.tar");
            }
            commands.Add($"docker rm --force --volumes {Text.Quote(request.Name)}");
        }
        if (original.Egress is not null)
        {
            commands.Add($"docker rm --force {Text.Quote(original.GatewayName)}");
            commands.Add(sockets ? $"docker volume rm {Text.Quote(EgressSockets.Volume(original))}" : $"docker network rm {Text.Quote(original.Network)}");
        }
        return commands;
    }

    /// <summary>A mount of the gateway's, as the engine has it.</summary>
    private static string VolumeMount(JsonNode mount) =>
        $"type={mount["Type"]},source={mount["Source"]},target={mount["Target"]}{(mount["ReadOnly"]?.GetValue<bool>() == true ? ",readonly" : "")}";

    private static IEnumerable<string> Strings(JsonNode? array) => array is JsonArray items ? items.Select(item => item!.GetValue<string>()) : [];

    private static IDictionary<string, string> Pairs(JsonNode? map) =>
        map is JsonObject pairs ? pairs.ToDictionary(pair => pair.Key, pair => pair.Value!.GetValue<string>()) : new Dictionary<string, string>();

    /// <summary>The sockets' volume or the isolated network, and the gateway, configured through its standard input and serving before the container starts.</summary>
    private static List<string> StartGateway(ContainerRequest request, EgressGateway egress, bool sockets)
    {
        var network = DockerEngine.IsolatedNetworkParameters(request);
        var volume = EgressSockets.VolumeParameters(request);
        var gateway = DockerEngine.GatewayParameters(request, egress, sockets).Body;
        // Read off the engine's form of the gateway, so that what is shown is what is asked.
        var host = gateway["HostConfig"]!;
        var name = request.GatewayName;
        var memory = host["Memory"]!.ToJsonString();
        return
        [
            sockets
                ? Text.CommandLine(["docker", "volume", "create", "--driver", volume["Driver"]!.GetValue<string>(), .. Pairs(volume["DriverOpts"]).OrderBy(option => option.Key, StringComparer.Ordinal)
                    .SelectMany(option => new[] { "--opt", $"{option.Key}={option.Value}" }), .. Labels(Pairs(volume["Labels"])), volume["Name"]!.GetValue<string>()])
                : Text.CommandLine(["docker", "network", "create", "--internal", "--opt", $"{DockerEngine.NoHostAddressOption}=true",
                    .. Labels(Pairs(network["Labels"])), request.Network]),
            Text.CommandLine(["docker", "create", "--name", name, "--network", egress.OutsideNetwork,
                "--user", gateway["User"]!.GetValue<string>(),
                .. (host["Mounts"] as JsonArray ?? []).SelectMany(mount => new[] { "--mount", VolumeMount(mount!) }),
                .. Strings(host["ExtraHosts"]).SelectMany(entry => new[] { "--add-host", entry }),
                .. Strings(host["CapDrop"]).SelectMany(capability => new[] { "--cap-drop", capability }),
                .. Strings(host["SecurityOpt"]).SelectMany(option => new[] { "--security-opt", option }),
                "--pids-limit", host["PidsLimit"]!.ToJsonString(), "--memory", memory, "--memory-swap", memory, "--read-only",
                .. Strings(gateway["Env"]).SelectMany(variable => new[] { "--env", variable }), "--interactive", .. Labels(Pairs(gateway["Labels"])), egress.Image,
                .. Strings(gateway["Entrypoint"]), .. Strings(gateway["Cmd"])]),
            .. sockets ? [] : (string[])[Text.CommandLine(["docker", "network", "connect", "--alias", egress.Alias, request.Network, name])],
            $"docker start --attach --interactive {Text.Quote(name)} < egress.json &   # egress.json, one line: {egress.ConfigurationByName}",
        ];
    }

    private static IEnumerable<string> Labels(IDictionary<string, string> labels) =>
        labels.OrderBy(label => label.Key, StringComparer.Ordinal).SelectMany(label => new[] { "--label", $"{label.Key}={label.Value}" });
}
