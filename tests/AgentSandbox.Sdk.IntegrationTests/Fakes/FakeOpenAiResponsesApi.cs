#nullable enable
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace AgentSandbox.Sdk.IntegrationTests.Fakes;

/// <summary>The model runs a shell command in the workspace (Codex's exec tool).</summary>
public sealed record ExecTurn(string Command) : ScriptedTurn;

/// <summary>
/// A scripted stand-in for the OpenAI Responses API that is good enough to drive the real Codex CLI (give it
/// <see cref="BaseUrl"/> as the provider's base URL). Every streamed POST /v1/responses with the right Bearer key
/// is the next turn of the script: an <see cref="ExecTurn"/> or a <see cref="TextTurn"/>. Listens on 127.0.0.1 only.
/// </summary>
public sealed class FakeOpenAiResponsesApi : IAsyncDisposable
{
    private const string UnauthorizedBody =
        """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";

    private readonly ModelScript _script;
    private readonly string _expectedApiKey;
    private readonly FakeHttpServer _server;

    private FakeOpenAiResponsesApi(IReadOnlyList<ScriptedTurn> script, string expectedApiKey, System.Net.IPAddress? address)
    {
        _script = new ModelScript(script);
        _expectedApiKey = expectedApiKey;
        _server = FakeHttpServer.Start(HandleAsync, address);
    }

    /// <summary>http://127.0.0.1:PORT/v1, the way OpenAI base URLs are written.</summary>
    public Uri BaseUrl => new(_server.Root, "v1");

    /// <summary>Every request received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<RecordedRequest> Requests => _server.Requests;

    /// <param name="address">Loopback unless the proxy of AgentNetwork=allowlist must reach it from a network of the test's own.</param>
    public static FakeOpenAiResponsesApi Start(IReadOnlyList<ScriptedTurn> script, string expectedApiKey, System.Net.IPAddress? address = null) => new(script, expectedApiKey, address);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = await FakeHttpServer.ReadAsync(context.Request);
        var kind = !request.Path.StartsWith("/v1/", StringComparison.Ordinal) ? RequestKind.Other
            : request.BearerToken != _expectedApiKey ? RequestKind.Unauthorized
            : request is { Method: "POST", Path: "/v1/responses" } ? RequestKind.ConversationTurn
            : RequestKind.Other;
        var (turn, turnNumber) = _script.Next(_server, new RecordedRequest(request.Method, request.PathAndQuery, request.BearerToken, request.Headers, request.Body, kind));

        switch (kind)
        {
            case RequestKind.Unauthorized:
                await FakeHttpServer.WriteJsonAsync(context.Response, 401, UnauthorizedBody);
                break;
            case RequestKind.ConversationTurn:
                await FakeHttpServer.WriteSseAsync(context.Response, Stream(Render(turn!, turnNumber, request.Body), turnNumber, request.Body?["model"]?.ToString() ?? "gpt-fake"));
                break;
            default:
                await FakeHttpServer.WriteJsonAsync(context.Response, 200, """{"object":"list","data":[]}""");
                break;
        }
    }

    /// <summary>The turn as one output item. Codex offers its exec tool as a JavaScript custom tool for the models it knows, a function for others.</summary>
    private static object Render(ScriptedTurn turn, int turnNumber, JsonNode? body)
    {
        var callId = $"call_fake_{turnNumber}";
        return turn switch
        {
            ExecTurn exec when OffersTool(body, "exec") => new
            {
                type = "custom_tool_call", id = $"ctc_fake_{turnNumber}", call_id = callId, name = "exec", status = "completed",
                // A JSON string is a JavaScript string literal.
                input = $"const r = await tools.exec_command({{cmd: {JsonSerializer.Serialize(exec.Command)}}}); text(r);",
            },
            ExecTurn exec => new
            {
                type = "function_call", id = $"fc_fake_{turnNumber}", call_id = callId, name = "exec_command", status = "completed",
                arguments = JsonSerializer.Serialize(new { cmd = exec.Command }),
            },
            TextTurn text => (object)new
            {
                type = "message", id = $"msg_fake_{turnNumber}", role = "assistant", status = "completed",
                content = new[] { new { type = "output_text", text = text.Text, annotations = Array.Empty<object>() } },
            },
            _ => throw new NotSupportedException(turn.GetType().Name),
        };
    }

    private static bool OffersTool(JsonNode? body, string name) =>
        body?["tools"] is JsonArray tools && tools.Any(tool => tool?["name"]?.ToString() == name);

    private static IEnumerable<(string, object)> Stream(object item, int turnNumber, string model)
    {
        var id = $"resp_fake_{turnNumber}";
        yield return ("response.created", new { type = "response.created", response = new { id, @object = "response", model, status = "in_progress", output = Array.Empty<object>() } });
        yield return ("response.output_item.added", new { type = "response.output_item.added", output_index = 0, item });
        yield return ("response.output_item.done", new { type = "response.output_item.done", output_index = 0, item });
        yield return ("response.completed", new
        {
            type = "response.completed",
            response = new
            {
                id, @object = "response", model, status = "completed", output = new[] { item },
                usage = new
                {
                    input_tokens = 10, input_tokens_details = new { cached_tokens = 0 },
                    output_tokens = 5, output_tokens_details = new { reasoning_tokens = 0 }, total_tokens = 15,
                },
            },
        });
    }
}
