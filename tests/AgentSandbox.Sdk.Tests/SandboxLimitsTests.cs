using AgentSandbox.Containers;
using AgentSandbox.Docker;
using AgentSandbox.Errors;
using AgentSandbox.Sdk.Tests.TestSupport;
using AgentSandbox.Spec;

namespace AgentSandbox.Sdk.Tests;

/// <summary>AgentMemoryLimit and AgentCpuLimit: read once, on every container of the run, as the engine takes them.</summary>
public sealed class SandboxLimitsTests
{
    private static AgentRunSpec Spec(string? memory = null, string? cpus = null) =>
        Specs.RunSpec(Specs.Run(Specs.SomeProjectDirectory) with { MemoryLimit = memory, CpuLimit = cpus });

    [Theory]
    [InlineData(null, 4L * 1024 * 1024 * 1024)]
    [InlineData("512m", 512L * 1024 * 1024)]
    [InlineData("8G", 8L * 1024 * 1024 * 1024)]
    [InlineData("2gb", 2L * 1024 * 1024 * 1024)]
    [InlineData("10485760", 10485760L)]
    public void Memory_is_read_in_dockers_units_with_four_gibibytes_by_default(string? value, long bytes)
    {
        Assert.Equal(bytes, Spec(memory: value).Limits.MemoryBytes);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-1g")]
    [InlineData("1m")]
    [InlineData("1.5g")]
    public void Malformed_or_too_small_memory_is_AGS1005(string value)
    {
        var error = Assert.Throws<AgentSandboxException>(() => Spec(memory: value));

        Assert.Equal("AGS1005", error.Code);
        Assert.Contains("AgentMemoryLimit", error.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("two")]
    public void A_cpu_limit_that_is_no_number_of_cpus_is_AGS1005(string value)
    {
        Assert.Equal("AGS1005", Assert.Throws<AgentSandboxException>(() => Spec(cpus: value)).Code);
    }

    [Fact]
    public void Every_container_gets_the_limits_and_the_engine_no_swap_beyond_memory()
    {
        var spec = Spec(memory: "1g", cpus: "1.5");
        var request = SandboxContainer.Create(spec, "agentsandbox:x", "agent", ["true"], spec.Environment, readOnlyWorkspace: false);

        var parameters = EngineModels.Container(DockerEngine.CreateParameters(request));

        Assert.Equal((1024L * 1024 * 1024, 1.5), (request.Limits.MemoryBytes, request.Limits.Cpus));
        Assert.Equal(1024L * 1024 * 1024, parameters.HostConfig!.Memory);
        Assert.Equal(1024L * 1024 * 1024, parameters.HostConfig!.MemorySwap);
        Assert.Equal(1_500_000_000L, parameters.HostConfig!.NanoCPUs);
        Assert.Equal(["ALL"], parameters.HostConfig!.CapDrop!);
        Assert.Equal(["no-new-privileges"], parameters.HostConfig!.SecurityOpt);
        Assert.DoesNotContain(parameters.HostConfig!.Mounts!, mount => mount.Source!.Contains("docker.sock", StringComparison.Ordinal));
    }
}
