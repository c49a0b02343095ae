namespace AgentSandbox.Sdk.IntegrationTests.Infrastructure;

/// <summary>The properties that point a test project at the local base image and let its RUN steps reach the registries.</summary>
public static class SandboxProperties
{
    public static Dictionary<string, string> ForTests(params (string Name, string Value)[] more)
    {
        var properties = new Dictionary<string, string>
        {
            ["AgentBaseImage"] = TestDocker.BaseImage,
            ["AgentBuildNetwork"] = "host",
        };
        foreach (var (name, value) in more)
        {
            properties[name] = value;
        }
        return properties;
    }

    /// <summary>For targets that build the project inside the sandbox: the local .NET SDK stand-in, and the host's network for the scripted API.</summary>
    public static Dictionary<string, string> ForSandboxBuilds(params (string Name, string Value)[] more) =>
        ForTests([("AgentBaseImage", TestDocker.SdkImage), ("AgentNetwork", "host"), .. more]);
}
