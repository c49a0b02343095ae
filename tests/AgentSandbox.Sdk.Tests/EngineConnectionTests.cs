using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSandbox.Docker;
using AgentSandbox.Sdk.Tests.TestSupport;

namespace AgentSandbox.Sdk.Tests;

/// <summary>The engine's HTTP as <see cref="EngineConnection"/> speaks it, against a loopback server that answers as the engine does.</summary>
public sealed class EngineConnectionTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public EngineConnectionTests() => _listener.Start();

    public void Dispose() => _listener.Stop();

    private EngineConnection Connection => EngineConnection.For(new Uri($"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}"));

    /// <summary>Accepts one connection, hands over what the client sent up to its body, answers with <paramref name="answer"/>.</summary>
    private async Task<string> ServeAsync(Func<NetworkStream, string, Task> answer, int bodyBytes = 0)
    {
        using var client = await _listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var received = new List<byte>();
        var one = new byte[1];
        while (!Encoding.ASCII.GetString([.. received]).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await stream.ReadAsync(one));
            received.Add(one[0]);
        }
        for (var i = 0; i < bodyBytes; i++)
        {
            Assert.Equal(1, await stream.ReadAsync(one));
            received.Add(one[0]);
        }
        var request = Encoding.UTF8.GetString([.. received]);
        await answer(stream, request);
        return request;
    }

    private static Task Write(NetworkStream stream, string text) => stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    [Fact]
    public async Task A_JSON_request_goes_with_its_length_and_its_answer_is_read_by_its_length()
    {
        var body = new JsonObject { ["Image"] = "x" };
        var server = ServeAsync((stream, _) => Write(stream, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"Id\":\"ab\"}"),
            bodyBytes: body.ToJsonString().Length);

        var answer = await Connection.JsonAsync(HttpMethod.Post, "/v1.41/containers/create?name=n", body, CancellationToken.None);

        Assert.Equal("ab", answer!["Id"]!.GetValue<string>());
        var request = await server;
        Assert.StartsWith("POST /v1.41/containers/create?name=n HTTP/1.1\r\n", request);
        // One request per connection: an answer without a length still ends.
        Assert.Contains("Connection: close\r\n", request);
        Assert.Contains($"Content-Type: application/json\r\nContent-Length: {body.ToJsonString().Length}\r\n", request);
        Assert.EndsWith("\r\n\r\n{\"Image\":\"x\"}", request);
    }

    [Fact]
    public async Task A_chunked_answer_is_read_whole_and_an_empty_one_is_no_JSON()
    {
        var server = ServeAsync((stream, _) => Write(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n[{\"N\r\n5\r\name\":\r\n4\r\n\"a\"}\r\n1\r\n]\r\n0\r\n\r\n"));
        var answer = await Connection.JsonAsync(HttpMethod.Get, "/networks", null, CancellationToken.None);
        await server;
        Assert.Equal("a", answer![0]!["Name"]!.GetValue<string>());

        server = ServeAsync((stream, _) => Write(stream, "HTTP/1.1 204 No Content\r\n\r\n"));
        Assert.Null(await Connection.JsonAsync(HttpMethod.Post, "/containers/x/start", null, CancellationToken.None));
        Assert.Contains("Content-Length: 0\r\n", await server);
    }

    [Fact]
    public async Task An_error_status_is_the_engines_refusal_with_its_answer()
    {
        var server = ServeAsync((stream, _) => Write(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 36\r\n\r\n{\"message\":\"No such image: nothing\"}"));

        var refused = await Assert.ThrowsAsync<EngineApiException>(() => Connection.JsonAsync(HttpMethod.Get, "/images/nothing/json", null, CancellationToken.None));

        await server;
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("{\"message\":\"No such image: nothing\"}", refused.ResponseBody);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{\"Id\"")]
    public async Task An_answer_that_is_not_the_engines_HTTP_or_JSON_is_a_protocol_failure(string answer)
    {
        var server = ServeAsync((stream, _) => Write(stream, answer));

        await Assert.ThrowsAsync<EngineProtocolException>(() => Connection.JsonAsync(HttpMethod.Get, "/version", null, CancellationToken.None));
        await server;
    }

    [Fact]
    public void A_value_in_a_path_cannot_change_the_request()
    {
        Assert.Equal("registry.example.com:5000/team/app:1.0@sha256:ab", DockerEngine.Escaped("registry.example.com:5000/team/app:1.0@sha256:ab"));
        Assert.Equal("a%20b%3F%23%0D%0AHost:%20x%C3%A9", DockerEngine.Escaped("a b?#\r\nHost: x\u00e9"));
    }

    [Fact]
    public async Task A_short_commands_output_is_kept_up_to_its_limit_and_the_rest_is_read_and_dropped()
    {
        var server = ServeAsync(async (stream, _) =>
        {
            await Write(stream, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
            for (var i = 0; i < 100; i++)
            {
                await stream.WriteAsync(Frame(1, new string('x', 1000)));
            }
            stream.Socket.Shutdown(SocketShutdown.Send);
        });

        using var exec = await Connection.HijackAsync("/exec/x/start", new JsonObject { ["Detach"] = false }, CancellationToken.None);
        var output = await exec.ReadStdoutToEndAsync(4096, CancellationToken.None);

        await server;
        Assert.Equal(new string('x', 4096), output);
    }

    [Fact]
    public async Task A_connection_closed_before_the_answer_ends_is_an_IO_failure_not_a_short_answer()
    {
        var server = ServeAsync((stream, _) => Write(stream, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Id\":"));

        await Assert.ThrowsAsync<IOException>(() => Connection.JsonAsync(HttpMethod.Get, "/version", null, CancellationToken.None));
        await server;
    }

    [Fact]
    public async Task A_streamed_body_goes_in_chunks_and_the_engines_messages_come_back_one_by_one()
    {
        var content = RandomNumberGenerator.GetBytes(200_000);
        var received = new MemoryStream();
        var server = ServeAsync(async (stream, request) =>
        {
            // The chunks, up to the last one.
            using var reader = new BinaryReader(stream, Encoding.ASCII, leaveOpen: true);
            while (true)
            {
                var size = Convert.ToInt32(ReadLine(reader), 16);
                received.Write(reader.ReadBytes(size));
                ReadLine(reader);
                if (size == 0)
                {
                    break;
                }
            }
            await Write(stream, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"stream\":\"Step 1/2 : FROM base\\n\"}\r\n{\"errorDetail\":{\"message\":\"failed\"},\"error\":\"failed\"}\r\n");
            stream.Close();
        });
        var messages = new List<string>();

        await Connection.StreamAsync(HttpMethod.Post, "/build?t=x", new MemoryStream(content), null, message => messages.Add(message.GetRawText()), CancellationToken.None);

        var request = await server;
        Assert.Contains("Transfer-Encoding: chunked\r\n", request);
        Assert.Equal(content, received.ToArray());
        Assert.Equal(["{\"stream\":\"Step 1/2 : FROM base\\n\"}", "{\"errorDetail\":{\"message\":\"failed\"},\"error\":\"failed\"}"], messages);
    }

    private static string ReadLine(BinaryReader reader)
    {
        var line = new StringBuilder();
        while (reader.ReadChar() is var c && c != '\n')
        {
            line.Append(c);
        }
        return line.ToString().TrimEnd('\r');
    }

    [Fact]
    public async Task An_attached_process_s_output_comes_in_frames_by_stream_and_its_input_ends_when_the_client_closes_its_half()
    {
        var input = new TaskCompletionSource<string>();
        var server = ServeAsync(async (stream, _) =>
        {
            await Write(stream, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
            // stdout "hello ", stderr "oops", stdout "world", a frame split across writes.
            await stream.WriteAsync(Frame(1, "hello "));
            await stream.WriteAsync(Frame(2, "oops"));
            var last = Frame(1, "world");
            await stream.WriteAsync(last.AsMemory(0, 3));
            await stream.FlushAsync();
            await Task.Delay(20);
            await stream.WriteAsync(last.AsMemory(3));
            // What the client writes, up to its end.
            var reader = new StreamReader(stream);
            input.SetResult(await reader.ReadToEndAsync());
            stream.Socket.Shutdown(SocketShutdown.Send);
        });

        using var attached = await Connection.HijackAsync("/containers/x/attach?stream=1&stdin=1&stdout=1&stderr=1", null, CancellationToken.None);
        await attached.WriteAsync(Encoding.UTF8.GetBytes("the prompt"), CancellationToken.None);
        attached.CloseWrite();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var buffer = new byte[4];
        while (await attached.ReadOutputAsync(buffer, CancellationToken.None) is { Count: > 0 } read)
        {
            (read.Stderr ? stderr : stdout).Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
        }

        var request = await server;
        Assert.Equal(("hello world", "oops"), (stdout.ToString(), stderr.ToString()));
        Assert.Equal("the prompt", await input.Task);
        // Attach sends no body: the engine takes the connection at once, and a body's bytes would be the container's input.
        Assert.Contains("Connection: Upgrade\r\nUpgrade: tcp\r\n", request);
        Assert.Contains("Content-Length: 0\r\n", request);
    }

    private static byte[] Frame(byte stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var frame = new byte[8 + bytes.Length];
        frame[0] = stream;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)bytes.Length);
        bytes.CopyTo(frame, 8);
        return frame;
    }

    [Fact]
    public void Schemes_other_than_unix_tcp_and_npipe_are_refused_before_any_request()
    {
        Assert.Throws<NotSupportedException>(() => EngineConnection.For(new Uri("ssh://user@host")));
        Assert.Equal("unix", EngineConnection.For(new Uri("unix:///var/run/docker.sock")).Endpoint.Scheme);
    }

    [Fact]
    public void The_endpoint_is_AgentDockerHost_then_DOCKER_HOST_then_the_context_then_the_default_socket()
    {
        using var temp = new TempDirectory();
        var variables = new Dictionary<string, string?> { ["DOCKER_CONFIG"] = temp.Path };
        string? Get(string name) => variables.GetValueOrDefault(name);

        Assert.Equal(EngineEndpoint.Default, EngineEndpoint.Resolve(null, Get));
        // The CLI's current context, its endpoint under the SHA-256 of its name.
        temp.Write("config.json", """{"auths":{},"currentContext":"remote"}""");
        var meta = $"contexts/meta/{Convert.ToHexString(SHA256.HashData("remote"u8)).ToLowerInvariant()}/meta.json";
        temp.Write(meta, """{"Name":"remote","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://10.0.0.5:2375","SkipTLSVerify":false}}}""");
        Assert.Equal(new Uri("tcp://10.0.0.5:2375"), EngineEndpoint.Resolve(null, Get));
        variables["DOCKER_CONTEXT"] = "default";
        Assert.Equal(EngineEndpoint.Default, EngineEndpoint.Resolve(null, Get));
        variables["DOCKER_CONTEXT"] = "gone";
        Assert.Contains("'gone'", Assert.Throws<InvalidOperationException>(() => EngineEndpoint.Resolve(null, Get)).Message);
        variables["DOCKER_HOST"] = "unix:///run/user/1000/docker.sock";
        Assert.Equal(new Uri("unix:///run/user/1000/docker.sock"), EngineEndpoint.Resolve(null, Get));
        Assert.Equal(new Uri("tcp://127.0.0.1:2376"), EngineEndpoint.Resolve(" tcp://127.0.0.1:2376 ", Get));
        // host:port alone is tcp, as the CLI takes it.
        variables["DOCKER_HOST"] = "10.0.0.7:2375";
        Assert.Equal(new Uri("tcp://10.0.0.7:2375"), EngineEndpoint.Resolve(null, Get));
    }

    [Fact]
    public void An_engine_the_CLI_would_reach_over_TLS_is_refused_rather_than_sent_plain_HTTP_and_registry_logins()
    {
        using var temp = new TempDirectory();
        var variables = new Dictionary<string, string?> { ["DOCKER_CONFIG"] = temp.Path, ["DOCKER_HOST"] = "tcp://10.0.0.7:2376", ["DOCKER_TLS_VERIFY"] = "1" };
        string? Get(string name) => variables.GetValueOrDefault(name);

        Assert.Contains("TLS", Assert.Throws<InvalidOperationException>(() => EngineEndpoint.Resolve(null, Get)).Message);
        variables.Remove("DOCKER_HOST");
        variables["DOCKER_CONTEXT"] = "secure";
        temp.Write($"contexts/meta/{Convert.ToHexString(SHA256.HashData("secure"u8)).ToLowerInvariant()}/meta.json",
            """{"Name":"secure","Endpoints":{"docker":{"Host":"tcp://10.0.0.7:2376","SkipTLSVerify":true}}}""");
        Assert.Contains("'secure' uses TLS", Assert.Throws<InvalidOperationException>(() => EngineEndpoint.Resolve(null, Get)).Message);
    }

    [Fact]
    public void A_registry_login_goes_as_URL_safe_base64_JSON_without_its_empty_fields()
    {
        var header = DockerEngine.RegistryAuth(new RegistryLogin("me", "p+/?", null), "registry.example.com");
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(header.Replace('-', '+').Replace('_', '/')));

        Assert.DoesNotContain('+', header);
        Assert.DoesNotContain('/', header);
        var login = JsonNode.Parse(json)!.AsObject();
        Assert.Equal(["serveraddress", "username", "password"], login.Select(field => field.Key));
        Assert.Equal(("registry.example.com", "me", "p+/?"), (login["serveraddress"]!.GetValue<string>(), login["username"]!.GetValue<string>(), login["password"]!.GetValue<string>()));
        Assert.Equal("""{"serveraddress":"registry.example.com"}""", Encoding.UTF8.GetString(Convert.FromBase64String(DockerEngine.RegistryAuth(null, "registry.example.com"))));
    }

    [Fact]
    public void A_builds_options_go_in_its_query_with_labels_and_arguments_as_JSON()
    {
        var query = DockerEngine.BuildQuery(new ImageBuildRequest(Stream.Null, "agentsandbox:abc", "Dockerfile", "host",
            new Dictionary<string, string> { ["org.agentsandbox.run"] = "r 1" }, new Dictionary<string, string> { ["HTTPS_PROXY"] = "http://p:3128" }));

        var parameters = query.TrimStart('?').Split('&').Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => Uri.UnescapeDataString(pair[1]));
        Assert.Equal("agentsandbox:abc", parameters["t"]);
        Assert.Equal("host", parameters["networkmode"]);
        Assert.Equal(("1", "1"), (parameters["rm"], parameters["forcerm"]));
        Assert.Equal("r 1", JsonDocument.Parse(parameters["labels"]).RootElement.GetProperty("org.agentsandbox.run").GetString());
        Assert.Equal("http://p:3128", JsonDocument.Parse(parameters["buildargs"]).RootElement.GetProperty("HTTPS_PROXY").GetString());
        Assert.DoesNotContain("networkmode", DockerEngine.BuildQuery(new ImageBuildRequest(Stream.Null, "t", "Dockerfile", null, new Dictionary<string, string>(), new Dictionary<string, string>())));
    }
}
