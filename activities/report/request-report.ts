import type { RequestState, RequestStatusView } from '../../workflows/design-request-messages';
import { optionTitle } from '../../approvals/question-details';

/**
 * The closing report of a request, in Markdown: what was asked, what was found, who chose what, what ran.
 * `finalState` is the state the request ends in: the report is written before the view shows it.
 */
export function renderRequestReport(view: RequestStatusView, finalState: RequestState = view.state): string {
  const lines = [
    `# ${view.title}`,
    '',
    `- Request: \`${view.requestId}\` (${view.kind})`,
    `- Target: ${view.target} / ${view.environment}`,
    `- Asked by: ${view.requester}`,
    `- Outcome: **${finalState}**${view.outcome ? `: ${view.outcome}` : ''}`,
    '',
    '## Questions and decisions',
    '',
  ];
  if (!view.questions.length) lines.push('No question was raised.', '');
  for (const question of view.questions) {
    lines.push(
      `### ${question.id} (${question.trigger}): ${question.state}${question.chosenOptionId ? `, chose ${optionTitle(question, question.chosenOptionId)} (\`${question.chosenOptionId}\`)` : ''}`,
      '',
      question.problem,
      '',
    );
    for (const option of question.options) {
      const recommended = option.id === question.recommendation.optionId ? ' (recommended)' : '';
      lines.push(
        `- \`${option.id}\`: ${option.title}${recommended}, risk ${option.risk}${option.blockingSeconds === null ? '' : `, blocks about ${option.blockingSeconds}s`}`,
      );
    }
    lines.push(
      '',
      `Recommendation: ${optionTitle(question, question.recommendation.optionId)} (\`${question.recommendation.optionId}\`), ${question.recommendation.reason}.`,
      '',
    );
    for (const vote of question.votes)
      lines.push(
        `- ${vote.at}: ${vote.person} chose ${optionTitle(question, vote.optionId)} (\`${vote.optionId}\`) via ${vote.channel}${vote.comment ? `: "${vote.comment}"` : ''}`,
      );
    lines.push('', `Reminders sent: ${question.remindersSent}. Asked: ${question.askedTo.join(', ')}.`, '');
  }
  lines.push('## Artifacts', '', '| name | digest |', '|---|---|');
  for (const [name, ref] of Object.entries(view.artifacts)) lines.push(`| ${name} | \`${ref.digest}\` |`);
  lines.push('', '## Timeline', '');
  for (const entry of view.timeline)
    lines.push(`- ${entry.at} ${entry.event}${entry.detail ? `: ${entry.detail}` : ''}`);
  return `${lines.join('\n')}\n`;
}
