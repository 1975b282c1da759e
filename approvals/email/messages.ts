import type { Notification, RequestStatusView, StatusNotification } from '../../workflows/design-request-messages';
import type { RolloutNotification } from '../../workflows/rollout-messages';
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

export function rolloutUrl(webBaseUrl: string, rolloutId: string): string {
  return `${webBaseUrl}/rollouts/${encodeURIComponent(rolloutId)}`;
}

export function decisionUrl(webBaseUrl: string, token: string, optionId: string): string {
  return `${webBaseUrl}/decide?token=${encodeURIComponent(token)}&option=${encodeURIComponent(optionId)}`;
}

const LEAD: Partial<Record<Notification['kind'], string>> = {
  question: 'Decision needed',
  reminder: 'Reminder: decision needed',
  rerouted: 'Re-routed to you: decision needed',
};

/** What a question is about, as its mail names it: a request on one target, or a rollout over a group. */
interface Asking {
  lead: string;
  title: string;
  /** `a change request by rita`, `a rollout by rita`. */
  what: string;
  /** The target and environment, or the group. */
  where: string;
  url: string;
  /** What the link shows. */
  page: string;
}

/** A question, a reminder or a re-route: the problem, every option, the recommendation, a link per option. */
export function questionMail(
  notification: StatusNotification,
  details: QuestionDetails,
  token: string,
  webBaseUrl: string,
): MailContent {
  const { status } = notification;
  return askingMail(
    {
      lead: LEAD[notification.kind] ?? 'Decision needed',
      title: status.title,
      what: `a ${status.kind} request by ${status.requester}`,
      where: `${status.target}/${status.environment}`,
      url: requestUrl(webBaseUrl, status.requestId),
      page: 'The request, its findings and the full report',
    },
    details,
    token,
    webBaseUrl,
  );
}

/** A rollout's stage or failure question to its stage's approvers; the problem says what earlier stages did. */
export function rolloutQuestionMail(
  status: RolloutNotification['status'],
  details: QuestionDetails,
  token: string,
  webBaseUrl: string,
): MailContent {
  return askingMail(
    {
      lead: 'Decision needed',
      title: status.title,
      what: `a rollout by ${status.requester}`,
      where: status.group,
      url: rolloutUrl(webBaseUrl, status.rolloutId),
      page: 'The rollout, its targets and their reports',
    },
    details,
    token,
    webBaseUrl,
  );
}

function askingMail(asking: Asking, details: QuestionDetails, token: string, webBaseUrl: string): MailContent {
  const { question } = details;
  const { lead } = asking;
  const subject = `[schemawright] ${lead}: ${asking.title} (${asking.where})`;
  const link = (optionId: string) => decisionUrl(webBaseUrl, token, optionId);
  const recommended = details.options.find((o) => o.recommended);

  const text = [
    `${lead} on "${asking.title}": ${asking.what} for ${asking.where}.`,
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
    `${asking.page}: ${asking.url}`,
  ].join('\n');

  const html = `<p><strong>${escapeHtml(lead)}</strong> on “${escapeHtml(asking.title)}”: ${escapeHtml(asking.what)} for <code>${escapeHtml(asking.where)}</code>.</p>
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
<p><a href="${escapeHtml(asking.url)}">${escapeHtml(asking.page)}</a></p>`;
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

/** The requester's summary when a rollout stops or finishes: how it ended and each stage's targets by state. */
export function rolloutEndMail(status: RolloutNotification['status'], webBaseUrl: string): MailContent {
  const stages = status.stages.map(
    (s) => `${s.environment}: ${s.applied} applied, ${s.failed} failed, ${s.skipped} skipped, ${s.pending} pending`,
  );
  const url = rolloutUrl(webBaseUrl, status.rolloutId);
  const subject = `[schemawright] Rollout ${status.state}: ${status.title} (${status.group})`;
  const text = [
    `The rollout "${status.title}" over ${status.group}, requested by ${status.requester}: ${status.state}.`,
    '',
    ...(status.outcome ? [status.outcome, ''] : []),
    'Stages:',
    ...stages.map((line) => `- ${line}`),
    '',
    `The rollout, its targets and their reports: ${url}`,
  ].join('\n');
  const html = `<p>The rollout “${escapeHtml(status.title)}” over <code>${escapeHtml(status.group)}</code>, requested by ${escapeHtml(status.requester)}: <strong>${escapeHtml(status.state)}</strong>.</p>
${status.outcome ? `<p>${escapeHtml(status.outcome)}</p>` : ''}<ul>${stages.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>
<p><a href="${escapeHtml(url)}">The rollout, its targets and their reports</a></p>`;
  return { subject, text, html };
}
