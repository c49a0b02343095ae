#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace AgentSandbox.Sdk.IntegrationTests.Fakes;

/// <summary>
/// A scripted stand-in for the Gemini API (generativelanguage v1beta) that drives the real Gemini CLI
/// (point GOOGLE_GEMINI_BASE_URL at <see cref="BaseUrl"/>). Listens on 127.0.0.1 only. Ported from the research's
/// fake_gemini_server.py: each streamGenerateContent call is the next turn of the script; generateContent (the
/// model router, the next-speaker check) gets JSON shaped by the requested schema; countTokens a count.
/// </summary>
public sealed class FakeGeminiApi : IAsyncDisposable
{
    private static readonly JsonObject Usage = new() { ["promptTokenCount"] = 100, ["candidatesTokenCount"] = 10, ["totalTokenCount"] = 110 };

    private readonly IReadOnlyList<ScriptedTurn> _script;
    private readonly string _expectedApiKey;
    private readonly HttpListener _listener;
    private readonly List<RecordedRequest> _requests = new();
    private readonly object _gate = new();
    private readonly Task _acceptLoop;
    private int _turnsServed;

    private FakeGeminiApi(IReadOnlyList<ScriptedTurn> script, string expectedApiKey, HttpListener listener, int port)
    {
        _script = script;
        _expectedApiKey = expectedApiKey;
        _listener = listener;
        BaseUrl = new Uri($"http://127.0.0.1:{port}");
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public Uri BaseUrl { get; }

    /// <summary>Every request received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<RecordedRequest> Requests { get { lock (_gate) return _requests.ToArray(); } }

    public static FakeGeminiApi Start(IReadOnlyList<ScriptedTurn> script, string expectedApiKey)
    {
        // HttpListener cannot bind port 0, so borrow a free port from the OS and retry if something races us to it.
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();

            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new FakeGeminiApi(script, expectedApiKey, listener, port);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Close();
        await _acceptLoop.ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }

            _ = Task.Run(async () =>
            {
                try { await HandleAsync(context).ConfigureAwait(false); }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { /* client went away */ }
            });
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        var headers = request.Headers.AllKeys.OfType<string>()
            .ToDictionary(k => k, k => request.Headers[k] ?? "", StringComparer.OrdinalIgnoreCase);
        var apiKey = request.Headers["x-goog-api-key"];
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        var bodyText = await reader.ReadToEndAsync().ConfigureAwait(false);
        JsonNode? body = null;
        try { body = bodyText.Length > 0 ? JsonNode.Parse(bodyText) : null; } catch (JsonException) { }

        var kind = apiKey != _expectedApiKey ? RequestKind.Unauthorized
            : request.HttpMethod != "POST" ? RequestKind.Other
            : path.EndsWith(":streamGenerateContent", StringComparison.Ordinal) ? RequestKind.ConversationTurn
            : path.EndsWith(":generateContent", StringComparison.Ordinal) ? RequestKind.SideMessage
            : path.EndsWith(":countTokens", StringComparison.Ordinal) ? RequestKind.CountTokens
            : RequestKind.Other;
        ScriptedTurn? turn = null;
        lock (_gate)
        {
            if (kind == RequestKind.ConversationTurn)
            {
                // Past the end of the script the model says "done", so an over-eager CLI still terminates.
                turn = _turnsServed < _script.Count ? _script[_turnsServed] : new TextTurn("done");
                _turnsServed++;
            }
            _requests.Add(new RecordedRequest(request.HttpMethod, request.Url.PathAndQuery, apiKey, headers, body, kind));
        }

        var response = context.Response;
        switch (kind)
        {
            case RequestKind.Unauthorized:
                await WriteJsonAsync(response, 401, """{"error":{"code":401,"message":"API key not valid. Please pass a valid API key.","status":"UNAUTHENTICATED"}}""");
                break;
            case RequestKind.ConversationTurn:
                await WriteSseAsync(response, Candidate(Render(turn!)));
                break;
            case RequestKind.SideMessage:
                await WriteJsonAsync(response, 200, Candidate(new JsonObject { ["text"] = SchemaAnswer(body) }).ToJsonString());
                break;
            case RequestKind.CountTokens:
                await WriteJsonAsync(response, 200, """{"totalTokens":42}""");
                break;
            default:
                await WriteJsonAsync(response, 404, """{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}""");
                break;
        }
    }

    private static JsonObject Render(ScriptedTurn turn) => turn switch
    {
        ToolUseTurn t => new JsonObject
        {
            ["functionCall"] = new JsonObject { ["name"] = t.ToolName, ["args"] = JsonSerializer.SerializeToNode(t.Input) },
        },
        TextTurn t => new JsonObject { ["text"] = t.Text },
        _ => throw new NotSupportedException(turn.GetType().Name),
    };

    private static JsonObject Candidate(JsonObject part) => new()
    {
        ["candidates"] = new JsonArray(new JsonObject
        {
            ["content"] = new JsonObject { ["role"] = "model", ["parts"] = new JsonArray(part) },
            ["finishReason"] = "STOP",
            ["index"] = 0,
        }),
        ["usageMetadata"] = Usage.DeepClone(),
    };

    /// <summary>JSON that fits the requested schema: enums take their first value, numbers 1; the user speaks next.</summary>
    private static string SchemaAnswer(JsonNode? body)
    {
        var config = body?["generationConfig"];
        if ((config?["responseJsonSchema"] ?? config?["responseSchema"])?["properties"] is not JsonObject properties)
        {
            return "ok";
        }
        var answer = new JsonObject();
        foreach (var (name, schema) in properties)
        {
            var type = schema?["type"] is JsonValue value && value.TryGetValue<string>(out var text) ? text.ToLowerInvariant() : null;
            answer[name] = name == "next_speaker" ? "user"
                : schema?["enum"] is JsonArray { Count: > 0 } values ? values[0]!.DeepClone()
                : type is "number" or "integer" ? JsonValue.Create(1)
                : type == "boolean" ? JsonValue.Create(false)
                : type == "array" ? new JsonArray()
                : type == "object" ? new JsonObject()
                : JsonValue.Create("fake");
        }
        return answer.ToJsonString();
    }

    private static async Task WriteJsonAsync(HttpListenerResponse response, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        response.StatusCode = status;
        response.ContentType = "application/json; charset=UTF-8";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    private static async Task WriteSseAsync(HttpListenerResponse response, JsonObject chunk)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.SendChunked = true;
        await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes($"data: {chunk.ToJsonString()}\r\n\r\n"));
        response.Close();
    }
}
