using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentSandbox.Sdk.IntegrationTests.Fakes;

/// <summary>
/// Stand-ins for engines a user may meet: one that answers /version with an API range of its choosing and knows
/// some images (every other request: 404), and one that accepts connections but never answers. Both listen on
/// 127.0.0.1 only and record the requests they get.
/// </summary>
public sealed class FakeDockerEngine : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _clients = [];
    private readonly List<string> _requests = [];
    private readonly string? _versionJson;
    private readonly HashSet<string> _images = [];

    private FakeDockerEngine(string? versionJson)
    {
        _versionJson = versionJson;
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>"GET /v1.41/images/x/json" and the like, in arrival order.</summary>
    public IReadOnlyList<string> Requests { get { lock (_requests) return _requests.ToList(); } }

    /// <summary>Makes image inspection of this reference answer 200.</summary>
    public FakeDockerEngine WithImage(string reference)
    {
        _images.Add(reference);
        return this;
    }

    /// <summary>tcp://127.0.0.1:PORT, for AgentDockerHost.</summary>
    public string Endpoint => $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public static FakeDockerEngine WithApi(string apiVersion, string minApiVersion) =>
        new($$"""{"Version":"1.0.0-fake","ApiVersion":"{{apiVersion}}","MinAPIVersion":"{{minApiVersion}}","Os":"linux","Arch":"amd64"}""");

    public static FakeDockerEngine Silent() => new(null);

    public void Dispose()
    {
        _listener.Stop();
        lock (_clients)
        {
            _clients.ForEach(client => client.Dispose());
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_clients)
            {
                _clients.Add(client);
            }
            if (_versionJson is not null)
            {
                _ = AnswerAsync(client);
            }
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        try
        {
            using var reader = new StreamReader(client.GetStream(), Encoding.ASCII, false, 1024, leaveOpen: true);
            while (await reader.ReadLineAsync() is { } requestLine)
            {
                while (await reader.ReadLineAsync() is { Length: > 0 })
                {
                    // Headers; these requests have no body.
                }
                lock (_requests)
                {
                    _requests.Add(string.Join(' ', requestLine.Split(' ').Take(2)));
                }
                var path = Uri.UnescapeDataString(requestLine.Split(' ')[1]);
                var (status, body) = path.EndsWith("/version", StringComparison.Ordinal) ? ("200 OK", _versionJson!)
                    : _images.Any(image => path.EndsWith($"/images/{image}/json", StringComparison.Ordinal)) ? ("200 OK", """{"Id":"sha256:fake"}""")
                    : ("404 Not Found", """{"message":"not found"}""");
                var response = $"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
                await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(response));
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
        }
    }
}
