#nullable enable
using System;
using System.Collections.Generic;
using System.Net;
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

    private readonly ModelScript _script;
    private readonly string _expectedApiKey;
    private readonly FakeHttpServer _server;

    private FakeGeminiApi(IReadOnlyList<ScriptedTurn> script, string expectedApiKey, System.Net.IPAddress? address)
    {
        _script = new ModelScript(script);
        _expectedApiKey = expectedApiKey;
        _server = FakeHttpServer.Start(HandleAsync, address);
    }

    public Uri BaseUrl => _server.Root;

    /// <summary>Every request received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<RecordedRequest> Requests => _server.Requests;

    /// <param name="address">Loopback unless the proxy of AgentNetwork=allowlist must reach it from a network of the test's own.</param>
    public static FakeGeminiApi Start(IReadOnlyList<ScriptedTurn> script, string expectedApiKey, System.Net.IPAddress? address = null) => new(script, expectedApiKey, address);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = await FakeHttpServer.ReadAsync(context.Request);
        var path = request.Path;
        var body = request.Body;
        var apiKey = request.Headers.GetValueOrDefault("x-goog-api-key");

        var kind = apiKey != _expectedApiKey ? RequestKind.Unauthorized
            : request.Method != "POST" ? RequestKind.Other
            : path.EndsWith(":streamGenerateContent", StringComparison.Ordinal) ? RequestKind.ConversationTurn
            : path.EndsWith(":generateContent", StringComparison.Ordinal) ? RequestKind.SideMessage
            : path.EndsWith(":countTokens", StringComparison.Ordinal) ? RequestKind.CountTokens
            : RequestKind.Other;
        var (turn, _) = _script.Next(_server, new RecordedRequest(request.Method, request.PathAndQuery, apiKey, request.Headers, body, kind));

        var response = context.Response;
        switch (kind)
        {
            case RequestKind.Unauthorized:
                await FakeHttpServer.WriteJsonAsync(response, 401, """{"error":{"code":401,"message":"API key not valid. Please pass a valid API key.","status":"UNAUTHENTICATED"}}""");
                break;
            case RequestKind.ConversationTurn:
                await FakeHttpServer.WriteSseAsync(response, [Candidate(Render(turn!))]);
                break;
            case RequestKind.SideMessage:
                await FakeHttpServer.WriteJsonAsync(response, 200, Candidate(new JsonObject { ["text"] = SchemaAnswer(body) }).ToJsonString());
                break;
            case RequestKind.CountTokens:
                await FakeHttpServer.WriteJsonAsync(response, 200, """{"totalTokens":42}""");
                break;
            default:
                await FakeHttpServer.WriteJsonAsync(response, 404, """{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}""");
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
}
