using System.Text.Json;

namespace AgentSandbox.Agents;

/// <summary>
/// The part every JSON-lines output parser shares: blank lines say nothing, a line that is not JSON (a log line, a
/// truncated write) is passed on as a notice, JSON that is not an object is ignored, and an object is the CLI's event.
/// </summary>
internal abstract class JsonLinesParser : IAgentOutputParser
{
    public IEnumerable<AgentEvent> ParseLine(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return [];
        }
        using var document = JsonFields.Parse(line);
        if (document is null)
        {
            return [new AgentNotice(line.Trim())];
        }
        // Materialized here: the elements die with the document.
        return document.RootElement.ValueKind == JsonValueKind.Object ? ParseEvent(document.RootElement).ToList() : [];
    }

    protected abstract IEnumerable<AgentEvent> ParseEvent(JsonElement root);
}
