using AgentSandbox.Review;
using AgentSandbox.Spec;

namespace AgentSandbox.Run.Steps;

/// <summary>AgentReview: the findings in what the agent said.</summary>
internal sealed class CollectFindingsStep : IAgentRunStep
{
    public Task ExecuteAsync(AgentRunContext context, CancellationToken cancellationToken)
    {
        if (context.Spec.Preset.Kind == AgentPreset.Review)
        {
            var answer = string.Join("\n", context.Messages.Append(context.Outcome?.FinalText ?? ""));
            context.Findings = ReviewFindingParser.Parse(answer);
            // No findings is a result only when the agent says so: silence or prose is no review.
            context.ReviewUnanswered = context.AgentSucceeded && context.Findings.Count == 0
                && !answer.Contains(ReviewFindingParser.NoFindings, StringComparison.OrdinalIgnoreCase);
        }
        return Task.CompletedTask;
    }
}
