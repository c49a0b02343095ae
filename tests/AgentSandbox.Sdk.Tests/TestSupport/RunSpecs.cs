using AgentSandbox.Docker;
using AgentSandbox.Project;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests.TestSupport;

/// <summary>A valid run spec and an engine client for tests of the run's pure parts.</summary>
public static class RunSpecs
{
    public static AgentRunSpec Minimal(string projectDirectory, string prompt = "Do it", string? agentKind = null)
    {
        var inputs = new AgentRunInputs("AgentRun", projectDirectory, prompt, null, agentKind, null, null, null, null, null, null);
        return AgentRunSpecFactory.Create(inputs, name => name is "ANTHROPIC_API_KEY" or "GEMINI_API_KEY" ? "sk-fake-key" : null, new HostUser(1000, 1000)).Spec;
    }

    /// <summary>Creating a client does not connect; tests that hold one never call the engine.</summary>
    public static DockerEngine UnconnectedEngine() => DockerEngine.Connect("unix:///nonexistent/agentsandbox-unit-tests.sock");
}
