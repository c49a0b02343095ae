using System.Net;
using AgentSandbox.Sdk.IntegrationTests.Fakes;

namespace AgentSandbox.Sdk.Benchmarks;

/// <summary>
/// What the whole-process benchmarks share: the packed package in a feed of its own, projects that reference it,
/// a network of the benchmark's own, and the scripted Anthropic API on the host's address on it (reachable from the
/// egress proxy and from host-network containers alike), which answers every turn with "done".
/// </summary>
internal sealed class BenchSetup : IAsyncDisposable
{
    public const string ApiKey = "sk-ant-bench-0123456789";

    private BenchSetup(string repository, string root, string network, FakeAnthropicApi api)
    {
        Repository = repository;
        Root = root;
        Network = network;
        Api = api;
    }

    public string Repository { get; }

    public string Root { get; }

    public string Network { get; }

    public FakeAnthropicApi Api { get; }

    public string BaseImage { get; } = Environment.GetEnvironmentVariable("AGENTSANDBOX_TEST_BASE_IMAGE") ?? "agentsandbox-test/bookworm:latest";

    public static BenchSetup Start(string repository)
    {
        var root = Directory.CreateTempSubdirectory("agentsandbox-bench-").FullName;
        // Outside the projects' folders: a workspace holds whatever is beside the project's nuget.config.
        var packages = Directory.CreateTempSubdirectory("agentsandbox-bench-packages-").FullName;
        var network = $"agentsandbox-bench-{Guid.NewGuid():N}"[..32];
        Bench.Exec("docker", ["network", "create", network]);
        var gateway = IPAddress.Parse(Bench.Exec("docker", ["network", "inspect", network, "-f", "{{(index .IPAM.Config 0).Gateway}}"]).Output.Trim());
        var api = FakeAnthropicApi.Start([], ApiKey, gateway);
        // Restores into a cache of the benchmark's own: never a stale copy of this version.
        Environment.SetEnvironmentVariable("NUGET_PACKAGES", packages);
        Environment.SetEnvironmentVariable("ANTHROPIC_API_KEY", ApiKey);
        Environment.SetEnvironmentVariable("ANTHROPIC_BASE_URL", api.BaseUrl.ToString().TrimEnd('/'));
        Environment.SetEnvironmentVariable("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
        Environment.SetEnvironmentVariable("DOTNET_NOLOGO", "1");
        return new BenchSetup(repository, root, network, api);
    }

    /// <summary>A `dotnet new console` project referencing the package, with a target that does nothing; restored.</summary>
    public string NewProject(string name, string? folder = null, string extraItems = "")
    {
        var directory = Path.Combine(folder ?? Root, name);
        Bench.Exec("dotnet", ["new", "console", "-o", directory, "-n", name, "--no-restore"]);
        File.WriteAllText(Path.Combine(directory, $"{name}.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="AgentSandbox.Sdk" Version="0.1.0-dev" PrivateAssets="all" />
                {extraItems}
              </ItemGroup>
              <!-- MSBuild's own cost: the same command line with a target that does nothing. -->
              <Target Name="Noop" />
            </Project>
            """);
        // Restores from the packed package only; in the project's folder, so that the workspace is the project's.
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="local" value="{Path.Combine(Repository, "artifacts", "packages")}" /></packageSources>
            </configuration>
            """);
        Bench.Exec("dotnet", ["restore", directory]);
        return Path.Combine(directory, $"{name}.csproj");
    }

    /// <summary>
    /// -p: arguments, quoted for sh, for the test base image, RUN steps on the host's network, and the benchmark's
    /// network for the proxy; AgentForce: a run whose inputs are those of the last one would be skipped, and a skip is
    /// timed on its own.
    /// </summary>
    public string Properties(params (string Name, string Value)[] more) =>
        string.Join(' ', new[] { ("AgentBaseImage", BaseImage), ("AgentBuildNetwork", "host"), ("AgentEgressNetwork", Network), ("AgentPrompt", "Say done"), ("AgentForce", "true") }
            .Concat(more).Select(property => $"'-p:{property.Item1}={property.Item2.Replace(";", "%3B", StringComparison.Ordinal).Replace("'", "'\\''", StringComparison.Ordinal)}'"));

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        Directory.Delete(Environment.GetEnvironmentVariable("NUGET_PACKAGES")!, recursive: true);
        Bench.Exec("docker", ["network", "rm", Network], check: false);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
