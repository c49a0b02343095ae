#nullable enable
using System.Collections.Generic;

namespace AgentSandbox.Sdk.IntegrationTests.Fakes;

/// <summary>
/// The scripted model behind a fake API: the script's turns in order, one per conversation request, and "done" past
/// its end, so that an over-eager CLI still terminates.
/// </summary>
public sealed class ModelScript(IReadOnlyList<ScriptedTurn> script)
{
    private readonly object _gate = new();
    private int _served;

    /// <summary>Scripted turns handed out so far (including "done" answers past the end of the script).</summary>
    public int TurnsServed { get { lock (_gate) return _served; } }

    /// <summary>
    /// Records the request and, for a conversation turn, hands out the next scripted turn, in one step: the recorded
    /// order and the turn order agree however the CLI's requests interleave.
    /// </summary>
    /// <returns>The turn and its 1-based number; null and 0 for any other request.</returns>
    public (ScriptedTurn? Turn, int Number) Next(FakeHttpServer server, RecordedRequest request)
    {
        lock (_gate)
        {
            server.Record(request);
            if (request.Kind != RequestKind.ConversationTurn)
            {
                return (null, 0);
            }
            var turn = _served < script.Count ? script[_served] : new TextTurn("done");
            return (turn, ++_served);
        }
    }
}
