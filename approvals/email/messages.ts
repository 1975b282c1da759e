import type { Notification, RequestStatusView, StatusNotification } from '../../workflows/design-request-messages';
import { blockingText, optionTitle, type QuestionDetails } from '../question-details';
import { escapeHtml } from '../web/html';

/** An email in its two forms, with the same content: people read either. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export function requestUrl(webBaseUrl: string, requestId: string): string {
  return `${webBaseUrl}/requests/${encodeURIComponent(requestId)}`;
}

export function decisionUrl(webBaseUrl: string, token: string, optionId: string): string {
  return `${webBaseUrl}/decide?token=${encodeURIComponent(token)}&option=${encodeURIComponent(optionId)}`;
}

const LEAD: Partial<Record<Notification['kind'], string>> = {
  question: 'Decision needed',
  reminder: 'Reminder: decision needed',
  rerouted: 'Re-routed to you: decision needed',
};

/** A question, a reminder or a re-route: the problem, every option, the recommendation, a link per option. */
export function questionMail(
  notification: StatusNotification,
  details: QuestionDetails,
  token: string,
  webBaseUrl: string,
): MailContent {
  const { status } = notification;
  const { question } = details;
  const lead = LEAD[notification.kind] ?? 'Decision needed';
  const subject = `[schemawright] ${lead}: ${status.title} (${status.target}/${status.environment})`;
  const link = (optionId: string) => decisionUrl(webBaseUrl, token, optionId);
  const recommended = details.options.find((o) => o.recommended);

  const text = [
    `${lead} on "${status.title}": a ${status.kind} request by ${status.requester} for ${status.target}/${status.environment}.`,
    '',
    `Problem (${question.trigger}): ${question.problem}`,
    ...(details.task ? [`Task: ${details.task}`] : []),
    ...details.attempted.map((a) => `Already checked: ${a}`),
    '',
    'Options:',
    ...details.options.flatMap((o) => [
      `- ${o.title}${o.recommended ? ' (recommended)' : ''}: risk ${o.risk}, ${blockingText(o.blockingSeconds)}`,
      ...(o.summary ? [`  ${o.summary}`] : []),
      ...(o.impact
        ? [
            `  Performance: ${o.impact.performance}`,
            `  Consistency: ${o.impact.consistency}`,
            `  Scalability: ${o.impact.scalability}`,
          ]
        : []),
      `  Choose: ${link(o.id)}`,
    ]),
    '',
    `Recommendation: ${recommended?.title ?? question.recommendation.optionId}, because ${question.recommendation.reason}`,
    'A comment is required to reject or to choose against the recommendation.',
    `This link is yours alone, works once, and expires at ${question.expiresAt}.`,
    '',
    `The request, its findings and the full report: ${requestUrl(webBaseUrl, status.requestId)}`,
  ].join('\n');

  const html = `<p><strong>${escapeHtml(lead)}</strong> on “${escapeHtml(status.title)}”: a ${escapeHtml(status.kind)} request by ${escapeHtml(status.requester)} for <code>${escapeHtml(status.target)}/${escapeHtml(status.environment)}</code>.</p>
<p style="white-space:pre-wrap"><strong>Problem</strong> (${escapeHtml(question.trigger)}): ${escapeHtml(question.problem)}</p>
${details.task ? `<p>Task: ${escapeHtml(details.task)}</p>` : ''}${details.attempted.length ? `<ul>${details.attempted.map((a) => `<li>Already checked: ${escapeHtml(a)}</li>`).join('')}</ul>` : ''}
<h3>Options</h3>
<ul>${details.options
    .map(
      (
        o,
      ) => `<li><strong>${escapeHtml(o.title)}</strong>${o.recommended ? ' (recommended)' : ''}: risk ${escapeHtml(o.risk)}, ${escapeHtml(blockingText(o.blockingSeconds))}
${o.summary ? `<br>${escapeHtml(o.summary)}` : ''}${o.impact ? `<br>Performance: ${escapeHtml(o.impact.performance)}<br>Consistency: ${escapeHtml(o.impact.consistency)}<br>Scalability: ${escapeHtml(o.impact.scalability)}` : ''}
<br><a href="${escapeHtml(link(o.id))}">Choose: ${escapeHtml(o.title)}</a></li>`,
    )
    .join('\n')}</ul>
<p><strong>Recommendation</strong>: ${escapeHtml(recommended?.title ?? question.recommendation.optionId)}, because ${escapeHtml(question.recommendation.reason)}</p>
<p>A comment is required to reject or to choose against the recommendation.<br>This link is yours alone, works once, and expires at ${escapeHtml(question.expiresAt)}.</p>
<p><a href="${escapeHtml(requestUrl(webBaseUrl, status.requestId))}">The request, its findings and the full report</a></p>`;
  return { subject, text, html };
}

const ENDINGS: Partial<Record<Notification['kind'], string>> = {
  completed: 'Completed',
  rejected: 'Rejected',
  expired: 'Expired',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

/** The final result, or the expiry notice: what happened and where the report is. */
export function resultMail(notification: StatusNotification, webBaseUrl: string): MailContent | undefined {
  const ending = ENDINGS[notification.kind];
  if (!ending) return undefined;
  const { status } = notification;
  const decisions = decisionLines(status);
  const subject = `[schemawright] ${ending}: ${status.title} (${status.target}/${status.environment})`;
  const text = [
    `"${status.title}" (${status.kind} on ${status.target}/${status.environment}, requested by ${status.requester}): ${ending.toLowerCase()}.`,
    '',
    status.outcome ?? notification.summary,
    ...(decisions.length ? ['', 'Decisions:', ...decisions.map((d) => `- ${d}`)] : []),
    '',
    `The report and the timeline: ${requestUrl(webBaseUrl, status.requestId)}`,
  ].join('\n');
  const html = `<p>“${escapeHtml(status.title)}” (${escapeHtml(status.kind)} on <code>${escapeHtml(status.target)}/${escapeHtml(status.environment)}</code>, requested by ${escapeHtml(status.requester)}): <strong>${escapeHtml(ending.toLowerCase())}</strong>.</p>
<p>${escapeHtml(status.outcome ?? notification.summary)}</p>
${decisions.length ? `<ul>${decisions.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul>` : ''}
<p><a href="${escapeHtml(requestUrl(webBaseUrl, status.requestId))}">The report and the timeline</a></p>`;
  return { subject, text, html };
}

export function decisionLines(status: RequestStatusView): string[] {
  return status.questions.flatMap((q) =>
    q.votes.map(
      (v) =>
        `${q.id}: ${v.person} chose ${optionTitle(q, v.optionId)} via ${v.channel}${v.comment ? ` ("${v.comment}")` : ''}`,
    ),
  );
}
