using AgentSandbox.Logging;

namespace AgentSandbox.Tasks;

/// <summary>Writes the sandbox's Dockerfile and build context from the project's metadata, for users to read and the image step to build.</summary>
public sealed class WriteSandboxDockerfile : SandboxImageTask
{
    private protected override Task ExecuteAsync(ISandboxLog log, CancellationToken cancellationToken)
    {
        WriteContext(Resolve(ImageInputs()).Spec, log, important: true);
        return Task.CompletedTask;
    }
}
