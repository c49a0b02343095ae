extern alias egressproxy;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Proxy = egressproxy::AgentSandbox.Egress;

namespace AgentSandbox.Sdk.Tests;

/// <summary>
/// The egress proxy in process, on loopback ports, in front of a loopback API: the allowlist, the tunnels, and the
/// credential route that adds the real key only for callers with the run's token.
/// </summary>
public sealed class EgressProxyTests : IAsyncLifetime
{
    private const string Token = "agentsandbox-run-token";
    private const string Key = "sk-real-key";

    private HttpListener _api = new();
    private readonly ConcurrentQueue<(string Method, string Path, string? Key, string? Authorization, string Body)> _received = new();
    private readonly ConcurrentQueue<Proxy.EgressEvent> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private int _apiPort;
    private int _proxyPort;
    private int _routePort;
    private Task _proxy = Task.CompletedTask;
    private Task _apiLoop = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        // A port just given up can still be held a moment (a closed connection's TIME_WAIT): another one then.
        for (var attempt = 0; !_api.IsListening; attempt++)
        {
            // A listener whose start failed is closed for good.
            _api = new HttpListener();
            _apiPort = FreePort();
            _api.Prefixes.Add($"http://127.0.0.1:{_apiPort}/");
            try
            {
                _api.Start();
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _apiLoop = ServeApiAsync();
        (_proxyPort, _routePort) = (FreePort(), FreePort());
        var ready = new TaskCompletionSource();
        var proxy = new Proxy.EgressProxy(new Proxy.EgressConfig(_proxyPort, ["egress-under-test"], [$"127.0.0.1:{_apiPort}"],
            [new Proxy.RouteConfig(_routePort, $"http://127.0.0.1:{_apiPort}", [new Proxy.RouteCredential("x-api-key", "{value}", Token, Key)])]),
            egressEvent =>
            {
                if (egressEvent.Event == Proxy.EgressEvent.Ready)
                {
                    ready.TrySetResult();
                }
                _events.Enqueue(egressEvent);
            });
        _proxy = Task.Run(() => proxy.RunAsync(_stop.Token));
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _proxy;
        _api.Close();
        await _apiLoop;
    }

    [Fact]
    public void A_credential_in_a_file_is_read_at_start_without_its_line_end_and_one_that_cannot_be_read_fails_the_start()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, Key + "\n");
            var config = Proxy.EgressConfig.Parse($$"""{"port":3128,"names":["n"],"allow":[],"routes":[{"port":3129,"upstream":"https://api.example.com","credentials":[{"header":"x-api-key","format":"{value}","token":"{{Token}}","secret":"","secretFile":"{{file}}"}]}]}""");

            var credential = Assert.Single(Assert.Single(config.WithCredentialsRead().Routes).Credentials);

            Assert.Equal(Key, credential.Real);
            File.Delete(file);
            Assert.Throws<FileNotFoundException>(() => config.WithCredentialsRead());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_plain_http_request_to_an_allowed_host_goes_through_and_any_other_is_refused_with_the_line_that_allows_it()
    {
        using var client = new HttpClient(new HttpClientHandler { Proxy = new WebProxy($"http://127.0.0.1:{_proxyPort}"), UseProxy = true });

        var allowed = await client.GetAsync($"http://127.0.0.1:{_apiPort}/hello");
        var refused = await client.GetAsync($"http://localhost:{_apiPort}/hello");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("answer to GET /hello", await allowed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains($"<AgentAllowedHost Include=\"localhost:{_apiPort}\" />", await refused.Content.ReadAsStringAsync());
        Assert.Contains(_events, e => e is { Event: "refused", Host: "localhost" } && e.Port == _apiPort);
        Assert.Single(_received);
    }

    [Fact]
    public async Task A_tunnel_opens_only_to_an_allowed_host_and_port()
    {
        Assert.StartsWith("HTTP/1.1 200", await ConnectAsync($"127.0.0.1:{_apiPort}"));
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync("127.0.0.1:9"));
        Assert.StartsWith("HTTP/1.1 403", await ConnectAsync($"127.0.0.2:{_apiPort}"));
        Assert.Equal(2, _events.Count(e => e.Event == "refused"));
    }

    [Fact]
    public async Task The_route_puts_the_real_key_in_place_of_the_token_and_streams_a_chunked_body_both_ways_on_one_connection()
    {
        using var connection = new TcpClient();
        await connection.ConnectAsync(IPAddress.Loopback, _routePort);
        var stream = connection.GetStream();
        var reader = new StreamReader(stream, Encoding.Latin1);

        for (var round = 1; round <= 2; round++)
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(
                $"POST /v1/messages?beta=true HTTP/1.1\r\nHost: egress\r\nx-api-key: {Token}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n8\r\n round {round}\r\n0\r\n\r\n"));
            var status = await reader.ReadLineAsync();
            var headers = new List<string>();
            for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
            {
                headers.Add(line);
            }
            var length = int.Parse(headers.Single(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Split(':')[1]);
            var body = new char[length];
            await reader.ReadBlockAsync(body);

            Assert.Equal("HTTP/1.1 200 OK", status);
            Assert.Equal($"answer to POST /v1/messages?beta=true", new string(body));
        }

        Assert.Equal(2, _received.Count);
        Assert.All(_received, request => Assert.Equal((Key, null), (request.Key, request.Authorization)));
        Assert.Equal(["hello round 1", "hello round 2"], _received.Select(request => request.Body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x-api-key: guessed\r\n")]
    [InlineData("x-api-key: " + Key + "\r\n")]
    [InlineData("authorization: Bearer " + Token + "\r\n")]
    public async Task The_route_refuses_a_caller_without_the_token_and_sends_nothing_on(string header)
    {
        using var connection = new TcpClient();
        await connection.ConnectAsync(IPAddress.Loopback, _routePort);
        var stream = connection.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes($"GET /v1/models HTTP/1.1\r\nHost: egress\r\n{header}\r\n"));

        var answer = await new StreamReader(stream).ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 401", answer);
        Assert.Empty(_received);
        Assert.Contains(_events, e => e.Event == "unauthorized");
    }

    [Fact]
    public async Task A_request_for_the_route_sent_through_the_forward_proxy_is_served_by_the_route()
    {
        using var client = new HttpClient(new HttpClientHandler { Proxy = new WebProxy($"http://127.0.0.1:{_proxyPort}"), UseProxy = true });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://egress-under-test:{_routePort}/v1/models");
        request.Headers.Add("x-api-key", Token);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Key, Assert.Single(_received).Key);
    }

    [Fact]
    public async Task On_sockets_the_proxy_listens_on_no_network_and_the_relay_puts_them_on_loopback_in_front_of_a_command_whose_exit_code_it_keeps()
    {
        var folder = Directory.CreateTempSubdirectory("agentsandbox-sockets-").FullName;
        var (port, routePort) = (FreePort(), FreePort());
        var output = Path.Combine(folder, "answers.txt");
        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource();
        var proxy = new Proxy.EgressProxy(new Proxy.EgressConfig(port, ["egress-under-test"], [],
            [new Proxy.RouteConfig(routePort, $"http://127.0.0.1:{_apiPort}", [new Proxy.RouteCredential("x-api-key", "{value}", Token, Key)])]),
            egressEvent => { if (egressEvent.Event == Proxy.EgressEvent.Ready) { ready.TrySetResult(); } }, folder);
        var serving = Task.Run(() => proxy.RunAsync(stop.Token));
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(File.Exists(Path.Combine(folder, $"{port}.sock")));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.OtherWrite, File.GetUnixFileMode(Path.Combine(folder, $"{routePort}.sock")) & UnixFileMode.OtherWrite);
            }
            await Assert.ThrowsAsync<SocketException>(async () => await new TcpClient().ConnectAsync(IPAddress.Loopback, port));

            // A tunnel the allowlist refuses, and the route by the loopback's name through the forward proxy.
            var code = await Proxy.LoopbackRelay.RunAsync(folder, ["bash", "-c",
                $"exec 3<>/dev/tcp/127.0.0.1/{port}; printf 'CONNECT refused.example:443 HTTP/1.1\\r\\n\\r\\n' >&3; head -1 <&3 > {output}; " +
                $"exec 4<>/dev/tcp/127.0.0.1/{port}; printf 'GET http://127.0.0.1:{routePort}/v1/models HTTP/1.1\\r\\nHost: 127.0.0.1:{routePort}\\r\\nx-api-key: {Token}\\r\\nConnection: close\\r\\n\\r\\n' >&4; head -1 <&4 >> {output}; exit 7"]);

            Assert.Equal(7, code);
            var answers = File.ReadAllLines(output);
            Assert.StartsWith("HTTP/1.1 403", answers[0]);
            Assert.StartsWith("HTTP/1.1 200", answers[1]);
            Assert.Equal(Key, Assert.Single(_received).Key);
            // Gone with the command: nothing listens on the loopback any more.
            await Assert.ThrowsAsync<SocketException>(async () => await new TcpClient().ConnectAsync(IPAddress.Loopback, port));
            Assert.Equal(Proxy.LoopbackRelay.NotStarted, await Proxy.LoopbackRelay.RunAsync(folder, ["/no/such/agent"]));

            // The program itself, as the container runs it: the command gets the relay's standard input, its folder and
            // SIGPIPE's default, is found in PATH and never in the folder it runs in (the workspace: a program there named
            // sh is the agent's), and comes after the one line the relay says first.
            var workspace = Directory.CreateDirectory(Path.Combine(folder, "workspace")).FullName;
            File.WriteAllText(Path.Combine(workspace, "sh"), "#!/bin/sh\necho planted\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path.Combine(workspace, "sh"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }
            var relay = new System.Diagnostics.ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "egress", "linux-x64", "agentsandbox-egress"))
            {
                WorkingDirectory = workspace, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            foreach (var argument in new[] { "relay", folder, "--", "sh", "-c", "grep SigIgn /proc/self/status; cat; echo; pwd; exit 3" })
            {
                relay.ArgumentList.Add(argument);
            }
            using var process = System.Diagnostics.Process.Start(relay)!;
            await process.StandardInput.WriteAsync("the prompt");
            process.StandardInput.Close();
            var (said, complained) = (await process.StandardOutput.ReadToEndAsync(), await process.StandardError.ReadToEndAsync());
            await process.WaitForExitAsync();

            Assert.Equal(3, process.ExitCode);
            var lines = said.Split('\n');
            Assert.Equal(0, Convert.ToInt64(lines[0].Split('\t')[1], 16) & (1 << (13 - 1)));
            Assert.Equal(["the prompt", workspace], lines[1..3]);
            Assert.DoesNotContain("planted", said);
            Assert.Equal(Proxy.SocketRefusal.Started, complained.TrimEnd('\n'));
        }
        finally
        {
            await stop.CancelAsync();
            await serving;
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_relay_started_before_its_proxy_waits_for_it_and_then_runs_the_command_through_it()
    {
        var folder = Directory.CreateTempSubdirectory("agentsandbox-sockets-").FullName;
        var port = FreePort();
        var output = Path.Combine(folder, "answer.txt");
        using var stop = new CancellationTokenSource();
        try
        {
            // Mount mode: the agent's container starts beside the proxy's, its relay first.
            var relay = Proxy.LoopbackRelay.RunAsync(folder, ["bash", "-c",
                $"exec 3<>/dev/tcp/127.0.0.1/{port}; printf 'CONNECT refused.example:443 HTTP/1.1\\r\\n\\r\\n' >&3; head -1 <&3 > {output}"]);
            await Task.Delay(300);
            Assert.False(relay.IsCompleted);
            var proxy = new Proxy.EgressProxy(new Proxy.EgressConfig(port, ["egress-under-test"], [], []), _ => { }, folder);
            var serving = Task.Run(() => proxy.RunAsync(stop.Token));

            Assert.Equal(0, await relay.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.StartsWith("HTTP/1.1 403", File.ReadAllText(output));
            await stop.CancelAsync();
            await serving;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_relay_that_cannot_reach_the_proxy_says_so_and_never_runs_the_command()
    {
        var folder = Directory.CreateTempSubdirectory("agentsandbox-sockets-").FullName;
        var ran = Path.Combine(folder, "ran");
        try
        {
            // No proxy that says it listens, within the time given.
            var empty = await Proxy.LoopbackRelay.RunAsync(folder, ["touch", ran], TimeSpan.FromMilliseconds(100));
            // A socket nobody listens on any more, as a runtime that refuses the host's sockets leaves the relay.
            File.WriteAllText(Path.Combine(folder, "3128.sock"), "");
            File.WriteAllText(Proxy.EgressProxy.ReadyPath(folder), "");
            var refused = await Proxy.LoopbackRelay.RunAsync(folder, ["touch", ran]);

            Assert.Equal((Proxy.SocketRefusal.ExitCode, Proxy.SocketRefusal.ExitCode), (empty, refused));
            Assert.False(File.Exists(ran));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<string> ConnectAsync(string authority)
    {
        using var connection = new TcpClient();
        await connection.ConnectAsync(IPAddress.Loopback, _proxyPort);
        var stream = connection.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"));
        return await new StreamReader(stream).ReadLineAsync() ?? "";
    }

    private async Task ServeApiAsync()
    {
        while (_api.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _api.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
            _received.Enqueue((context.Request.HttpMethod, context.Request.Url!.PathAndQuery, context.Request.Headers["x-api-key"], context.Request.Headers["Authorization"], body));
            var answer = Encoding.UTF8.GetBytes($"answer to {context.Request.HttpMethod} {context.Request.Url.PathAndQuery}");
            context.Response.ContentLength64 = answer.Length;
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [Fact]
    public async Task A_tunnel_goes_through_the_hosts_own_proxy_with_its_credentials_unless_NO_PROXY_names_the_host()
    {
        // The corporate proxy: answers CONNECT with 200 and then says which tunnel and credentials it was asked for.
        var corporate = new TcpListener(IPAddress.Loopback, 0);
        corporate.Start();
        var asked = Task.Run(async () =>
        {
            using var client = await corporate.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.Latin1);
            var lines = new List<string>();
            for (var line = await reader.ReadLineAsync(); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync())
            {
                lines.Add(line);
            }
            await stream.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray());
            return lines;
        });
        var upstream = new Proxy.Upstream($"http://me:s%40cret@127.0.0.1:{((IPEndPoint)corporate.LocalEndpoint).Port}", null, "internal.example,.corp.example");

        await using (await upstream.TunnelAsync("api.example.com", 443, CancellationToken.None))
        {
            var lines = await asked;
            Assert.Equal("CONNECT api.example.com:443 HTTP/1.1", lines[0]);
            Assert.Contains($"Proxy-Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("me:s@cret"))}", lines);
        }
        corporate.Stop();

        // NO_PROXY: straight to the host, although the host's proxy is gone by now.
        var direct = new TcpListener(IPAddress.Loopback, 0);
        direct.Start();
        var bypassing = new Proxy.Upstream($"http://127.0.0.1:{((IPEndPoint)corporate.LocalEndpoint).Port}", null, "localhost");
        await using (await bypassing.TunnelAsync("localhost", ((IPEndPoint)direct.LocalEndpoint).Port, CancellationToken.None))
        {
            using var accepted = await direct.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        direct.Stop();
        Assert.Null(upstream.HttpProxyFor("host.corp.example"));
        Assert.NotNull(upstream.HttpProxyFor("api.example.com"));
    }
}
