using AgentSandbox.Docker;

namespace AgentSandbox.Sdk.Tests;

public sealed class DockerEngineTests
{
    [Theory]
    [InlineData("mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/sdk", "10.0")]
    [InlineData("node:22-slim", "node", "22-slim")]
    [InlineData("node", "node", "latest")]
    [InlineData("localhost:5000/x", "localhost:5000/x", "latest")]
    [InlineData("localhost:5000/team/x:1.2", "localhost:5000/team/x", "1.2")]
    [InlineData("x@sha256:abc", "x", "sha256:abc")]
    [InlineData("ghcr.io/o/x:1@sha256:abc", "ghcr.io/o/x:1", "sha256:abc")]
    public void SplitReference_separates_name_and_tag_or_digest(string image, string name, string tag)
    {
        Assert.Equal((name, tag), DockerEngine.SplitReference(image));
    }

    [Theory]
    [InlineData(System.Net.HttpStatusCode.NotFound, """{"message":"No such container: abc"}""", true)]
    // Two sweeps (two builds starting at once) remove the same leftover: the second is told the first is at it.
    [InlineData(System.Net.HttpStatusCode.Conflict, """{"message":"removal of container abc is already in progress"}""", true)]
    [InlineData(System.Net.HttpStatusCode.Conflict, """{"message":"error while removing network: network x has active endpoints"}""", false)]
    [InlineData(System.Net.HttpStatusCode.InternalServerError, """{"message":"driver failed"}""", false)]
    public void A_removal_of_something_gone_or_going_is_what_was_asked(System.Net.HttpStatusCode status, string body, bool done)
    {
        Assert.Equal(done, DockerEngine.IsGoneOrGoing(new EngineApiException(status, body)));
    }
}
