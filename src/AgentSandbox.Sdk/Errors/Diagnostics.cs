namespace AgentSandbox.Errors;

/// <summary>
/// Every user-facing error and warning, in one place, each with its code, ordered by code: AGS1xxx inputs, AGS2xxx
/// the engine, AGS3xxx the sandbox image, AGS4xxx the agent run (41xx warnings, 42xx findings), AGS9xxx files and
/// internal errors. README.md lists the same codes (a test holds both to that); no other file names a code.
/// </summary>
internal static class Diagnostics
{
    public static AgentSandboxException NoPrompt() => new("AGS1001",
        "No prompt was given: set AgentPrompt (for example -p:AgentPrompt=\"Add XML docs to the public API\") or AgentPromptFile.");

    public static AgentSandboxException PromptFileMissing(string path) => new("AGS1002",
        $"The prompt file '{path}' named by AgentPromptFile does not exist: create it or correct the path.");

    public static AgentSandboxException PromptGivenTwice() => new("AGS1003",
        "Both AgentPrompt and AgentPromptFile are set: set only one of them.");

    public static AgentSandboxException UnknownValue(string property, string value, IEnumerable<string> allowed) => new("AGS1004",
        $"'{value}' is not a valid value for {property}: use one of {string.Join(", ", allowed)}.");

    public static AgentSandboxException InvalidValue(string property, string value, string expected) => new("AGS1005",
        $"'{value}' is not a valid value for {property}: {expected}.");

    public static AgentSandboxException NoCredential(string agent, IEnumerable<string> variables) => new("AGS1006",
        $"No credential for {agent} is set: export one of {string.Join(", ", variables)} in the environment that runs the build (or name it in AgentEnvironmentVariables).");

    public static AgentSandboxException NoCredentialInSecret(string agent, IEnumerable<string> variables, string secret) => new("AGS1006",
        $"No credential for {agent} is set: neither the Secret '{secret}' that AgentKubernetesSecret names nor the build's environment holds one of {string.Join(", ", variables)}: add one as a key of the Secret (kubectl create secret generic {secret} --from-literal={variables.First()}=...) or export one.");

    public static AgentSandboxException CaCertificateMissing(string path) => new("AGS1007",
        $"The CA certificate file '{path}' named by AgentCaCertificates (or NODE_EXTRA_CA_CERTS / SSL_CERT_FILE) does not exist: correct the path or set AgentCaCertificates to an existing PEM file.");

    public static AgentSandboxException NoCustomCommand() => new("AGS1008",
        "AgentKind is custom but AgentCommand is empty: set AgentCommand to the agent's command line, one argument per ;-separated entry (for example aider;--yes;--message;{prompt}).");

    public static AgentSandboxException SecondAgentTarget(string first, string second) => new("AGS1009",
        $"{first} already ran in this build and the targets an agent run shares run once per build, so {second} would do nothing: run each agent target in a build of its own (dotnet build -t:{first}, then dotnet build -t:{second}).");

    public static AgentSandboxException LoopbackEndpoint(string variable, string host, string agent, string network) => new("AGS1010",
        $"{variable} points at {host}, which inside the sandbox (network '{network}') is the container itself, not this machine, so {agent} could not reach its API: set AgentNetwork=host, or give {variable} an address the container can reach (host.docker.internal with Docker Desktop; on Linux the docker0 gateway, usually 172.17.0.1, with the gateway listening on it).");

    public static AgentSandboxException ScopeMatchesNothing(string property, string entry, string projectDirectory) => new("AGS1011",
        $"{property} names '{entry}', which matches no file in the project '{projectDirectory}' (or AgentWorkspaceRoot): correct it (files or globs such as src/**/*.cs, relative to the project, ;-separated), or leave {property} empty for the whole project.");

    public static AgentSandboxException CheckpointNotFound(string id, string directory) => new("AGS1012",
        $"AgentCheckpoint names '{id}', which is not a checkpoint of this project: give an id a run printed (result.json's checkpoint; the kept ones are the .json files in {directory}).");

    public static AgentSandboxException WorktreeNeedsRepository(string workspaceRoot) => new("AGS1013",
        $"AgentWorkspaceMode is worktree, but the workspace '{workspaceRoot}' is not inside a git repository: use copy (the default), or run in a repository with at least one commit.");

    public static AgentSandboxException MountRefused(string source, string problem) => new("AGS1014",
        $"AgentExtraMount names '{source}', which cannot go into the sandbox: {problem}. Mount a narrower folder (a package cache, say) with a ContainerPath outside /workspace, or remove it.");

    public static AgentSandboxException PromptTooLong(string agent, int bytes, int limit) => new("AGS1015",
        $"The prompt is {bytes / 1024} KiB, more than {agent} can take as an argument ({limit / 1024} KiB) and it reads no prompt from standard input: shorten it, put the long part in a file of the workspace and name that file in the prompt, or use Claude Code or Codex, which take a prompt of any size.");

    public static AgentSandboxException FeedNotMountable(string feed, string config, string problem) => new("AGS1016",
        $"The local feed '{feed}' that {config} names is outside the sandbox's workspace, and the sandbox's restore cannot be given it read-only: {problem}. Move the feed into the repository, point the nuget.config at a narrower folder, or set AgentWorkspaceRoot to a folder that holds it.");

    public static AgentSandboxException SolutionProjectsWithoutPackage(string target, string solution, IReadOnlyList<string> projects) => new("AGS1017",
        $"{target} for {solution} runs one agent for the whole solution, but {string.Join(", ", projects)} {(projects.Count == 1 ? "does" : "do")} not import AgentSandbox.Sdk, so MSBuild would stop on them with MSB4057 after the agent changed the tree; nothing was run: put the PackageReference in a Directory.Build.props that every project imports, or run {target} on one project (dotnet build src/MyLib -t:{target}).");

    public static AgentSandboxException BuildInputOutsideWorkspace(string input, string workspaceRoot, string fix) => new("AGS1018",
        $"The project's build reads '{input}', which the sandbox's workspace '{workspaceRoot}' does not hold, so the build inside the sandbox would quietly differ from yours; nothing was run: {fix}.");

    public static AgentSandboxException NotOnKubernetes(string what, string fix) => new("AGS1019",
        $"AgentEngine=kubernetes runs the sandbox as a pod, which {what}: {fix}.");

    public static AgentSandboxException SecretNotFound(string secret, string cluster) => new("AGS1020",
        $"The Secret '{secret}' that AgentKubernetesSecret names is not in the Kubernetes cluster {cluster}: create it there (kubectl create secret generic {secret} --from-literal=ANTHROPIC_API_KEY=...), or correct AgentKubernetesSecret or AgentKubernetesNamespace.");

    public static Warning HostVariableNotSet(string property, string name) => new("AGS1101",
        $"{property} names '{name}', which is not set in the build's environment, so the sandbox does not get it: export it or remove it from the list.");

    public static Warning SettingIgnored(string property, string agent, string hint) => new("AGS1102",
        $"{property} is not supported by {agent}, so it is ignored: {hint}.");

    public static Warning InputOutsideWorkspace(string input, string workspaceRoot) => new("AGS1103",
        $"The build reads '{input}', which the sandbox's workspace '{workspaceRoot}' does not hold because a workspace holding it would hand the agent your home, temporary or system folder: move it into the repository, or set AgentWorkspaceRoot to a folder that holds it.");

    public static Warning FeedLeftOut(string feed) => new("AGS1104",
        $"The local feed '{feed}' that a nuget.config names stays out of the sandbox: on a cluster (AgentEngine=kubernetes) nothing of this machine is mounted, so a restore inside the sandbox cannot use it; move the feed into the repository, or serve it from a URL the cluster reaches.");

    public static AgentSandboxException EngineUnreachable(string endpoint, string reason, Exception? inner = null) => new("AGS2001",
        $"The Docker engine at '{endpoint}' did not answer ({reason}): start Docker, or point DOCKER_HOST, the current Docker context or AgentDockerHost at a running engine.", inner);

    /// <summary>Whether an error is <see cref="EngineUnreachable"/>'s.</summary>
    public static bool IsEngineUnreachable(AgentSandboxException error) => error.Code == "AGS2001";

    public static AgentSandboxException EngineApiUnsupported(string endpoint, string engineRange, string ourRange) => new("AGS2002",
        $"The Docker engine at '{endpoint}' serves API versions {engineRange}, which AgentSandbox.Sdk (API {ourRange}) cannot use: update the engine or AgentSandbox.Sdk.");

    public static AgentSandboxException EngineRequestFailed(string endpoint, string operation, string reason, Exception? inner = null) => new("AGS2003",
        $"The Docker engine at '{endpoint}' refused to {operation} ({reason}): check the engine's log and that the build user may use Docker.", inner);

    public static AgentSandboxException EnginePermissionDenied(string endpoint, Exception? inner = null) => new("AGS2004",
        $"The build user may not use the Docker engine at '{endpoint}' (permission denied): add the user to the docker group and log in again, or use a rootless engine.", inner);

    public static AgentSandboxException EngineLost(string endpoint, string reason, Exception? inner = null) => new("AGS2005",
        $"The engine at {endpoint} went away while the agent ran ({reason.TrimEnd('.')}): it stopped or restarted, or the connection to it broke. Nothing of the run was applied; its container may still be there until the next run removes it (or dotnet build -t:AgentSandboxClean). Run the target again once the engine is back.", inner);

    public static AgentSandboxException ClusterUnreachable(string cluster, string reason, Exception? inner = null) => new("AGS2006",
        $"The Kubernetes cluster {cluster} did not answer ({reason.TrimEnd('.')}): check KUBECONFIG and AgentKubernetesContext (kubectl get pods -n the namespace tells the same), or set AgentEngine=docker.", inner);

    /// <summary>Whether an error is <see cref="ClusterUnreachable"/>'s.</summary>
    public static bool IsClusterUnreachable(AgentSandboxException error) => error.Code == "AGS2006";

    public static AgentSandboxException ClusterRefused(string cluster, string operation, string reason, Exception? inner = null) => new("AGS2007",
        $"The Kubernetes cluster {cluster} refused to {operation} ({reason.TrimEnd('.')}): kubectl describe and the cluster's events say more; nothing of the run was applied.", inner);

    public static AgentSandboxException ClusterForbidden(string cluster, string operation, string reason, Exception? inner = null) => new("AGS2008",
        $"The build's account may not {operation} on the Kubernetes cluster {cluster} ({reason.TrimEnd('.')}): grant it a Role there with create, get, list, watch and delete on pods, pods/exec, pods/log, secrets and networkpolicies, or set AgentKubernetesNamespace to a namespace where it has one.", inner);

    public static AgentSandboxException ClusterQuotaExceeded(string cluster, string reason, Exception? inner = null) => new("AGS2009",
        $"The sandbox's pod does not fit the resource quota of the Kubernetes cluster {cluster} ({reason.TrimEnd('.')}): lower AgentMemoryLimit or AgentCpuLimit, run fewer at once (-m), or ask for a larger quota; nothing was run.", inner);

    public static AgentSandboxException BaseImageUnavailable(string image, string reason) => new("AGS3001",
        $"The base image '{image}' is not on this engine and could not be pulled ({reason}): pull or build it first, or set AgentBaseImage to an image the engine has.");

    public static AgentSandboxException ImageStepFailed(string step, string output) => new("AGS3002",
        $"The sandbox image build failed at '{step}': fix the cause shown in the step's output below (AgentSystemPackage names, AgentVersion, network or proxy with AgentBuildNetwork / AgentCaCertificates).{Environment.NewLine}{output}");

    public static AgentSandboxException ImagePushFailed(string target, string reason) => new("AGS3003",
        $"The sandbox image could not be pushed as '{target}' ({reason.TrimEnd('.')}): check AgentImageRegistry, and that docker login (or a credential helper in your Docker configuration) has a login for that registry that may push.");

    public static AgentSandboxException NetworkNotFound(string network, string property = "AgentNetwork") => new("AGS4001",
        $"{property} names the Docker network '{network}', which does not exist: create it (docker network create {network}) or use {(property == "AgentNetwork" ? "allowlist, bridge, host or none" : "bridge")}.");

    public static AgentSandboxException AgentFailed(string agent, string exitCode, string lastWords, string resultPath) => new("AGS4002",
        $"{agent} failed ({exitCode}): {lastWords.TrimEnd('.')}. Fix the cause and run again; {resultPath} has the details.");

    public static AgentSandboxException CredentialRejected(string agent, int status, IEnumerable<string> variables) => new("AGS4003",
        $"{agent}'s API rejected the credential (HTTP {status}), so the run was stopped instead of retrying for minutes: check {string.Join(" / ", variables)} and, if you use a gateway, its base URL.");

    public static AgentSandboxException VerificationFailed(string target, string verb, string detail, string resultPath) => new("AGS4004",
        $"After {target}, dotnet {verb} fails inside the sandbox ({detail.TrimEnd('.')}): fix the code or revert the agent's changes listed above, then run again; {resultPath} has the details.");

    public static AgentSandboxException FixIncomplete(int iterations, int errors) => new("AGS4005",
        $"AgentFix stopped after {iterations} iteration(s) and the build still has {errors} error(s), listed above: fix them by hand, or raise AgentMaxIterations and run AgentFix again.");

    public static AgentSandboxException SandboxRestoreFailed(string message, string network) => new("AGS4006",
        $"dotnet restore inside the sandbox cannot reach a package feed on network '{network}' ({message.TrimEnd('.')}): let AgentNetwork reach your feeds and pass their credentials by name with AgentBuildEnvironmentVariables (AgentRefactor and AgentTest can also skip the check with AgentVerify=none).");

    public static AgentSandboxException OutsideWorkspace(string message, string workspaceRoot) => new("AGS4007",
        $"The project needs a file outside the sandbox's workspace '{workspaceRoot}' ({message.TrimEnd('.')}): set AgentWorkspaceRoot to a directory that holds everything the project references, such as the repository root, or fix the reference if the agent added it.");

    public static AgentSandboxException GitMetadataPlanted(IEnumerable<string> entries) => new("AGS4008",
        $"The agent left git metadata whose hooks and settings git on your machine would run, or hid directories from the check ({string.Join("; ", entries)}): do not run git there before you have looked, and review the agent's other changes before you trust them.");

    public static AgentSandboxException GitMetadataRefused(IEnumerable<string> paths, string? patch) => new("AGS4008",
        $"The agent created git metadata, which git on your machine would obey ({List(paths)}), so none of its changes were applied{Review(patch)}.");

    public static AgentSandboxException ReviewUnanswered(string agent, string resultPath) => new("AGS4009",
        $"{agent} ended its review without findings in the form FINDING <severity> <path>:<line>: <message> and without saying NO FINDINGS, so the review cannot be trusted: read its answer (finalText in {resultPath}) and check that AgentPrompt and AgentExtraArgs leave the answer's form alone.");

    public static AgentSandboxException SandboxBuildFailedUnexplained(long exitCode, string lastLines) => new("AGS4010",
        $"dotnet build failed inside the sandbox without an error an agent could fix (exit code {exitCode}: {lastLines}): check that AgentBaseImage has the .NET SDK, or, after a round, what the agent changed; -v:detailed shows the build's output.");

    public static AgentSandboxException SandboxPackageNotFound(string message) => new("AGS4011",
        $"dotnet restore inside the sandbox cannot find a package the project needs ({message.TrimEnd('.')}), and no agent could fix that: name the feed that has it in a nuget.config inside the workspace (the project directory or AgentWorkspaceRoot) and pass its credentials by name with AgentBuildEnvironmentVariables.");

    public static AgentSandboxException ProtectedChangesRefused(IEnumerable<string> paths, string? patch, bool live = false) => new("AGS4012",
        $"The agent changed build or automation logic that your machine would run or obey ({List(paths)}), so {Refused(patch, live)}; if the change is wanted (a package reference, say), run again with -p:AgentAllowProtectedChanges=true, or trim AgentProtectedPath.");

    public static AgentSandboxException LinksRefused(IEnumerable<string> paths, string? patch, bool live = false) => new("AGS4013",
        $"The agent left links that lead out of the workspace, into git metadata or to protected files, or hard links, devices or pipes ({List(paths)}), so {Refused(patch, live)}.");

    public static AgentSandboxException NamesRefused(IEnumerable<string> paths, string? patch, bool live = false) => new("AGS4014",
        $"The agent created names your machine cannot take or a log cannot show safely (control characters, line breaks, backslashes, . or .. parts: {List(paths)}), so {Refused(patch, live)}.");

    public static AgentSandboxException TreeChangedDuringRun(IEnumerable<string> paths, string? patch) => new("AGS4015",
        $"Your tree changed during the run where the agent changed it too ({List(paths)}: by you, or by another agent run in the same workspace that finished first), so none of the agent's changes were applied{Review(patch)} and take what you want from them.");

    public static AgentSandboxException WorktreeNotMade(string repository, string reason) => new("AGS4016",
        $"A git worktree for the agent could not be made in '{repository}' ({reason}): check that git works there, or use AgentWorkspaceMode=copy.");

    public static AgentSandboxException ApplyFailed(string reason, string checkpoint) => new("AGS4017",
        $"The agent's changes could not be written to your tree ({reason.TrimEnd('.')}), so the tree was put back as checkpoint {checkpoint} kept it: free the path, or take the changes from the patch.");

    private static string List(IEnumerable<string> paths)
    {
        var all = paths.ToList();
        return string.Join(", ", all.Take(10)) + (all.Count > 10 ? $" and {all.Count - 10} more" : "");
    }

    private static string Review(string? patch) => patch is null ? "" : $": review them in {patch}";

    /// <summary>What became of refused changes: none applied (copy mode), or each moved aside and the old version put back (mount mode).</summary>
    private static string Refused(string? patch, bool live) => live
        ? "each was moved aside (to its name + .refused-by-agentsandbox) and what was there before put back from the checkpoint"
        : $"none of its changes were applied{Review(patch)}";

    public static AgentSandboxException RuntimeMissing(string runtime, IEnumerable<string> available) => new("AGS4018",
        $"AgentRuntime names '{runtime}', which the engine does not have (it has {string.Join(", ", available)}): install and register it with the engine, choose one of those, or set AgentRuntimeFallback=true to run with the engine's default.");

    public static AgentSandboxException EgressProxyNotStarted(string image, string reason) => new("AGS4019",
        $"The egress proxy of AgentNetwork=allowlist did not start in {image} ({reason.TrimEnd('.')}): the proxy needs a glibc-based image (Debian or Ubuntu, as the .NET SDK images are), so choose such an AgentBaseImage, or set AgentNetwork=bridge to run without the allowlist.");

    public static AgentSandboxException Cancelled(string reason) => new("AGS4020",
        $"The agent run was stopped because {reason}: its containers, proxy and networks were removed and, in copy mode, none of its changes were applied; run the target again to redo it.");

    public static AgentSandboxException TimedOut(string timeout) => new("AGS4021",
        $"The agent run did not finish within AgentTimeout ({timeout}), so it was stopped: its containers, proxy and networks were removed and, in copy mode, none of its changes were applied; raise AgentTimeout if the task needs longer, or give the agent a smaller task.");

    public static AgentSandboxException OutOfMemory(string what, long? limitBytes) => new("AGS4022",
        $"{what} went over AgentMemoryLimit ({(limitBytes is { } limit ? $"{limit / (1024 * 1024)} MiB" : "no limit set, so the machine's")}) and the engine killed it: raise AgentMemoryLimit (for example -p:AgentMemoryLimit=8g) or give the agent a smaller task; nothing of the run was applied.");

    public static AgentSandboxException KilledFromOutside(string agent) => new("AGS4023",
        $"{agent}'s container was killed from outside the run (exit code 137: docker kill or rm, the engine restarting, or the machine out of memory), so nothing of its work was applied: find what stopped it and run the target again.");

    public static AgentSandboxException NoTestRan(string target, string projects, string resultPath) => new("AGS4024",
        $"After {target}, dotnet test ran no test inside the sandbox ({projects}), and a run without tests proves nothing: name the test projects that cover the project with AgentTestProject items, or let AgentTest write tests into one; {resultPath} has the details.");

    public static AgentSandboxException WorkspaceCopyFailed(string direction, string reason) => new("AGS4025",
        $"The workspace could not be copied {direction} the sandbox ({reason.TrimEnd('.')}), so nothing of the run was applied: copy mode runs sh, GNU tar and GNU find inside the container, which every Debian- and Ubuntu-based image (the .NET SDK images among them) has, so choose such an AgentBaseImage, or set AgentWorkspaceMode=mount.");

    public static AgentSandboxException ImageNotPullable(string image, string reason) => new("AGS4026",
        $"The cluster's node could not pull the sandbox image '{image}' ({reason.TrimEnd('.')}), so nothing was run: set AgentImageRegistry to a registry the cluster pulls from (the image is pushed there with your Docker credentials), or build where the cluster's nodes use the same Docker engine.");

    public static AgentSandboxException PodLost(string pod, string reason) => new("AGS4027",
        $"The sandbox's pod {pod} ended before the agent did ({reason.TrimEnd('.')}): its node was drained, lost or short of resources; nothing of the run was applied, so run the target again.");

    public static AgentSandboxException PodNotScheduled(string pod, string reason) => new("AGS4028",
        $"No node of the cluster took the sandbox's pod {pod} within {PodSchedulingTimeout.TotalSeconds:0} s ({reason.TrimEnd('.')}), so nothing was run: lower AgentMemoryLimit or AgentCpuLimit, or run fewer at once (-m).");

    /// <summary>How long a pod's container may fail to start while its kubelet tries again (at least twice).</summary>
    public static readonly TimeSpan ContainerStartGrace = TimeSpan.FromSeconds(35);

    /// <summary>How long a pod may wait for a node that has room for it.</summary>
    public static readonly TimeSpan PodSchedulingTimeout = TimeSpan.FromSeconds(60);

    public static Warning RunningAsRoot(string agent) => new("AGS4101",
        $"The build runs as root and the workspace is mounted, so {agent} runs as root inside the sandbox and the files it writes into your tree belong to root: run the build as a non-root user, or use AgentWorkspaceMode=copy.");

    public static Warning NoResultEvent(string agent) => new("AGS4102",
        $"{agent} exited without a final result event, so turns and cost are unknown: check that AgentExtraArgs does not change the output format.");

    public static Warning BuildOutputChanged(int files) => new("AGS4103",
        $"{files} file(s) of build output in bin/ or obj/ changed during the run, which your next build may use without compiling them: run dotnet clean (or delete bin and obj) before you build or run this project on your machine.");

    public static Warning RuntimeFallback(string runtime, IEnumerable<string> available) => new("AGS4104",
        $"AgentRuntime names '{runtime}', which the engine does not have (it has {string.Join(", ", available)}), so the run uses the engine's default runtime: install and register it, or choose one of those (AgentRuntimeFallback=false makes this an error).");

    public static Warning HostRefused(string label, string host, int connections, string entry) => new("AGS4105",
        $"{label}: the sandbox's egress allowlist refused {connections} connection(s) to {host}: if the agent or its build needs it, allow it with <AgentAllowedHost Include=\"{entry}\" /> in the project (or Directory.Build.props).");

    public static Warning TokenlessCaller(string label, string api, int requests) => new("AGS4106",
        $"{label}: {requests} request(s) to the credential proxy for {api} came without the run's token and were refused: something in the sandbox other than the agent's own API client tried to use your credential; check what the agent ran.");

    public static Warning TestsNotCounted(string label, IEnumerable<string> projects) => new("AGS4107",
        $"{label}: the tests of {string.Join(", ", projects)} ran on Microsoft.Testing.Platform without a TRX report, so how many ran, passed and failed is unknown (only dotnet test's exit code counts): add the Microsoft.Testing.Extensions.TrxReport package to them.");

    public static Warning SessionNotResumed(string agent, string reason) => new("AGS4108",
        $"{agent} starts a fresh session instead of continuing one: {reason}.");

    /// <summary>
    /// An AgentReview finding at its place in the user's code; an error when AgentReviewFailOn says so. The finding's
    /// own severity is named only where it differs from the level it is reported at ("warning AGS4201: error: …").
    /// </summary>
    public static SourceProblem ReviewFinding(bool isError, string? file, int line, string severity, string message) =>
        new(isError, "AgentReview", "AGS4201", file, line, 0, severity == (isError ? "error" : "warning") ? message : $"{severity}: {message}");

    /// <summary>What result.json records when findings failed the review (each is an error of its own in the build).</summary>
    public static AgentSandboxException FindingsFailTheBuild(int count, string failOn) => new("AGS4201",
        $"{count} AgentReview finding(s) fail the build (AgentReviewFailOn={failOn}), each reported at its file and line: fix the code, or set AgentReviewFailOn.");

    public static AgentSandboxException FileAccessFailed(Exception inner) => new("AGS9001",
        $"AgentSandbox could not read or write a file ({inner.Message.TrimEnd('.')}): check that the path exists and the build user may read and write it.", inner);

    public static AgentSandboxException PlantedLink(string link, string destination) => new("AGS9002",
        $"'{link}' is a link where AgentSandbox writes its own files ({destination}): an agent may have put it there to make the build overwrite another file, so nothing was written; look at what it points to, remove it, and run again.");

    public static AgentSandboxException ForeignFolder(string folder, uint owner, string destination) => new("AGS9003",
        $"'{folder}' belongs to user {owner}, the agent's, where AgentSandbox writes its own files ({destination}): the agent could swap it for a link, so nothing was written; look at it, remove it, and run again.");

    public static AgentSandboxException Internal(Exception exception) => new("AGS9999",
        $"AgentSandbox failed unexpectedly ({exception.GetType().Name}: {exception.Message}): please report this with the output of -v:diagnostic, which holds the stack trace.", exception);
}
