#nullable enable
using System;
using System.Collections.Generic;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace AgentSandbox.Sdk.IntegrationTests.Fakes;

/// <summary>One scripted answer of the fake model to a main-conversation request.</summary>
public abstract record ScriptedTurn;

/// <summary>The model calls a tool. Input is serialized with System.Text.Json, so anonymous objects work.</summary>
public sealed record ToolUseTurn(string ToolName, object Input) : ScriptedTurn;

/// <summary>The model answers with text and stop_reason end_turn.</summary>
public sealed record TextTurn(string Text) : ScriptedTurn;

public enum RequestKind
{
    /// <summary>POST /v1/messages offering tools: the agent loop. Consumes the next scripted turn.</summary>
    ConversationTurn,
    /// <summary>POST /v1/messages without tools (title/topic/quota helpers). Answered "ok", consumes nothing.</summary>
    SideMessage,
    /// <summary>POST /v1/messages/count_tokens.</summary>
    CountTokens,
    /// <summary>Anything else, e.g. the CLI's HEAD /api/hello connectivity probe. Answered 200 {}.</summary>
    Other,
    /// <summary>A /v1/ request whose key did not match. Answered 401.</summary>
    Unauthorized,
}

/// <param name="Path">Path and query as sent, e.g. "/v1/messages?beta=true".</param>
/// <param name="ApiKey">x-api-key, or the Authorization Bearer token, or null.</param>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string? ApiKey,
    IReadOnlyDictionary<string, string> Headers,
    JsonNode? Body,
    RequestKind Kind);

/// <summary>
/// A scripted stand-in for the Anthropic Messages API that is good enough to drive the real Claude Code CLI
/// (point ANTHROPIC_BASE_URL at <see cref="BaseUrl"/>). Listens on 127.0.0.1 only.
/// </summary>
public sealed class FakeAnthropicApi : IAsyncDisposable
{
    private const string UnauthorizedBody =
        """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""";

    private readonly ModelScript _script;
    private readonly string _expectedApiKey;
    private readonly FakeHttpServer _server;

    private FakeAnthropicApi(IReadOnlyList<ScriptedTurn> script, string expectedApiKey, IPAddress? address)
    {
        _script = new ModelScript(script);
        _expectedApiKey = expectedApiKey;
        _server = FakeHttpServer.Start(HandleAsync, address);
    }

    public Uri BaseUrl => _server.Root;

    /// <summary>Every request received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<RecordedRequest> Requests => _server.Requests;

    /// <summary>Scripted turns handed out so far (including "done" answers past the end of the script).</summary>
    public int TurnsServed => _script.TurnsServed;

    /// <param name="address">Loopback unless the proxy of AgentNetwork=allowlist must reach it from a network of the test's own.</param>
    public static FakeAnthropicApi Start(IReadOnlyList<ScriptedTurn> script, string expectedApiKey, IPAddress? address = null) => new(script, expectedApiKey, address);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = await FakeHttpServer.ReadAsync(context.Request);
        var body = request.Body;
        var apiKey = request.Headers.GetValueOrDefault("x-api-key") ?? request.BearerToken;

        var kind = Classify(request.Method, request.Path, body, apiKey);
        var (turn, turnNumber) = _script.Next(_server, new RecordedRequest(request.Method, request.PathAndQuery, apiKey, request.Headers, body, kind));

        var response = context.Response;
        var model = body?["model"]?.ToString() ?? "claude-fake";
        var streaming = body?["stream"]?.GetValueKind() == JsonValueKind.True;
        switch (kind)
        {
            case RequestKind.Unauthorized:
                await FakeHttpServer.WriteJsonAsync(response, 401, UnauthorizedBody);
                break;
            case RequestKind.ConversationTurn or RequestKind.SideMessage:
                var rendered = Render(turn ?? new TextTurn("ok"), turnNumber);
                var id = $"msg_fake_{turnNumber}";
                if (streaming) await FakeHttpServer.WriteSseAsync(response, Stream(id, model, rendered.EmptyBlock, rendered.Delta, rendered.StopReason));
                else await FakeHttpServer.WriteJsonAsync(response, 200, JsonSerializer.Serialize(new
                {
                    id, type = "message", role = "assistant", model, content = new[] { rendered.Block },
                    stop_reason = rendered.StopReason, stop_sequence = (string?)null,
                    usage = new { input_tokens = 10, output_tokens = 5 },
                }));
                break;
            case RequestKind.CountTokens:
                await FakeHttpServer.WriteJsonAsync(response, 200, """{"input_tokens":10}""");
                break;
            default:
                await FakeHttpServer.WriteJsonAsync(response, 200, "{}");
                break;
        }
    }

    private RequestKind Classify(string method, string path, JsonNode? body, string? apiKey)
    {
        // Only the API proper is authenticated; the CLI's HEAD /api/hello probe carries no key at all.
        if (!path.StartsWith("/v1/", StringComparison.Ordinal)) return RequestKind.Other;
        if (apiKey != _expectedApiKey) return RequestKind.Unauthorized;
        if (method != "POST") return RequestKind.Other;
        if (path == "/v1/messages/count_tokens") return RequestKind.CountTokens;
        if (path != "/v1/messages") return RequestKind.Other;
        // The agent loop always offers tools; helper calls (titles, summaries, quota checks) never do.
        // Deliberately not keyed on "stream": the CLI's non-streaming fallback of a turn must get the turn too.
        return body?["tools"] is JsonArray { Count: > 0 } ? RequestKind.ConversationTurn : RequestKind.SideMessage;
    }

    /// <summary>The turn as a complete content block (non-streaming), as an empty block plus one delta (SSE), and its stop reason.</summary>
    private static (object Block, object EmptyBlock, object Delta, string StopReason) Render(ScriptedTurn turn, int turnNumber)
    {
        var id = $"toolu_fake_{turnNumber}";
        return turn switch
        {
            ToolUseTurn t => (new { type = "tool_use", id, name = t.ToolName, input = t.Input },
                              new { type = "tool_use", id, name = t.ToolName, input = new { } },
                              new { type = "input_json_delta", partial_json = JsonSerializer.Serialize(t.Input) }, "tool_use"),
            TextTurn t => (new { type = "text", text = t.Text }, new { type = "text", text = "" },
                           new { type = "text_delta", text = t.Text }, "end_turn"),
            _ => throw new NotSupportedException(turn.GetType().Name),
        };
    }

    /// <summary>Like the real API: the block starts empty and its payload arrives as a delta.</summary>
    private static IEnumerable<(string, object)> Stream(string id, string model, object emptyBlock, object delta, string stopReason)
    {
        yield return ("message_start", new
        {
            type = "message_start",
            message = new
            {
                id, type = "message", role = "assistant", model, content = Array.Empty<object>(),
                stop_reason = (string?)null, stop_sequence = (string?)null,
                usage = new { input_tokens = 10, output_tokens = 1 },
            },
        });
        yield return ("content_block_start", new { type = "content_block_start", index = 0, content_block = emptyBlock });
        yield return ("content_block_delta", new { type = "content_block_delta", index = 0, delta });
        yield return ("content_block_stop", new { type = "content_block_stop", index = 0 });
        yield return ("message_delta", new
        {
            type = "message_delta",
            delta = new { stop_reason = stopReason, stop_sequence = (string?)null },
            usage = new { output_tokens = 5 },
        });
        yield return ("message_stop", new { type = "message_stop" });
    }
}
