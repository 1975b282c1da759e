import type { Finding } from '../../artifacts/findings';
import { revertSection } from './revert-section';
import { PHASES, type QuestionView, type RequestStatusView } from '../../workflows/design-request-messages';
import type { CapturedMail } from '../email/capture';
import { blockingText, optionTitle, type QuestionDetails } from '../question-details';
import type { RequestSummary } from '../requests';
import { escapeHtml, page } from './html';

/** Where Mermaid's modules come from; the page's Content-Security-Policy allows exactly these and the script below. */
export const MERMAID_MODULES = 'https://cdn.jsdelivr.net/npm/mermaid@11/dist/';
export const MERMAID_SCRIPT = `import mermaid from '${MERMAID_MODULES}mermaid.esm.min.mjs'; mermaid.initialize({ startOnLoad: true, securityLevel: 'strict' });`;

export interface OtherWorkflow {
  workflowId: string;
  type: string;
  status: string;
  startTime: Date;
}

/** Requests first; other workflows of the task queue (stack checks from `schemawright doctor`) below. */
export function requestListPage(
  requests: RequestSummary[],
  temporalUiUrl?: string,
  others: OtherWorkflow[] = [],
  notice?: string,
): string {
  const warning = notice ? `<p role="status"><strong>${escapeHtml(notice)}</strong></p>` : '';
  const ui = temporalUiUrl
    ? `<p>Temporal UI: <a href="${escapeHtml(temporalUiUrl)}">${escapeHtml(temporalUiUrl)}</a></p>`
    : '';
  const rows = requests.map(
    (r) =>
      `<tr><td><a href="/requests/${encodeURIComponent(r.requestId)}"><code>${escapeHtml(r.requestId)}</code></a></td><td>${escapeHtml(r.kind)}</td><td>${escapeHtml(r.target)}/${escapeHtml(r.environment)}</td><td>${escapeHtml(r.requester)}</td><td>${escapeHtml(r.status)}</td><td>${escapeHtml(r.phase)}</td><td>${escapeHtml(r.startTime.toISOString())}</td></tr>`,
  );
  const table = rows.length
    ? `<table><thead><tr><th>request</th><th>kind</th><th>target</th><th>requester</th><th>status</th><th>phase</th><th>started</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : '<p>No requests yet. Start one with <code>schemawright request</code>, <code>/dbdesign</code> in Slack, or <code>POST /api/requests</code>.</p>';
  const otherTable = others.length
    ? `<h2>Other workflows</h2><table><thead><tr><th>workflow</th><th>type</th><th>status</th><th>started</th></tr></thead><tbody>${others
        .map(
          (w) =>
            `<tr><td><code>${escapeHtml(w.workflowId)}</code></td><td>${escapeHtml(w.type)}</td><td>${escapeHtml(w.status)}</td><td>${escapeHtml(w.startTime.toISOString())}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  return page('Requests', `${warning}${ui}${table}${otherTable}<p><a href="/inbox">Mail inbox</a></p>`);
}

export interface RequestPageData {
  status: RequestStatusView;
  findings?: Finding[];
  erd?: string;
  details: QuestionDetails[];
}

export function requestPage({ status, findings, erd, details }: RequestPageData): string {
  const steps = PHASES.slice(1, -1);
  const at = steps.indexOf(status.phase);
  const phases = `<ol class="phases">${steps.map((p, i) => `<li class="${status.phase === 'done' || i < at ? 'done' : i === at ? 'now' : ''}">${escapeHtml(p)}</li>`).join('')}</ol>`;
  const head = `<p>${escapeHtml(status.kind)} on <code>${escapeHtml(status.target)}/${escapeHtml(status.environment)}</code>, requested by ${escapeHtml(status.requester)}. State: <strong>${escapeHtml(status.state)}</strong>, phase <strong>${escapeHtml(status.phase)}</strong>.</p>${status.outcome ? `<p>Outcome: ${escapeHtml(status.outcome)}</p>` : ''}`;
  const counts = findings ? countBy(findings.map((f) => f.severity)) : undefined;
  const findingsHtml = findings
    ? `<h2>Findings</h2><p>${
        Object.entries(counts!)
          .map(([s, n]) => `${n} ${escapeHtml(s)}`)
          .join(', ') || 'none'
      }</p><ul>${findings
        .slice(0, 50)
        .map((f) => `<li><code>${escapeHtml(f.id)}</code> ${escapeHtml(f.severity)}: ${escapeHtml(f.message)}</li>`)
        .join('')}</ul>`
    : '';
  // Mermaid renders in the reader's browser; the page itself stays plain HTML and the source stays visible.
  const erdHtml = erd
    ? `<h2>Entity-relationship diagram</h2><pre class="mermaid">${escapeHtml(erd)}</pre><script type="module">${MERMAID_SCRIPT}</script>`
    : '';
  const questions = details.length ? `<h2>Questions</h2>${details.map((d) => questionSection(d)).join('')}` : '';
  const artifacts = Object.keys(status.artifacts).length
    ? `<h2>Artifacts</h2><ul>${Object.keys(status.artifacts)
        .map(
          (name) =>
            `<li><a href="/requests/${encodeURIComponent(status.requestId)}/artifacts/${encodeURIComponent(name)}">${escapeHtml(name)}</a></li>`,
        )
        .join('')}</ul>`
    : '';
  const timeline = `<h2>Timeline</h2><table><tbody>${status.timeline.map((t) => `<tr><td>${escapeHtml(t.at)}</td><td>${escapeHtml(t.event)}</td><td>${escapeHtml(t.detail ?? '')}</td></tr>`).join('')}</tbody></table>`;
  return page(
    status.title,
    `${phases}${head}${findingsHtml}${erdHtml}${questions}${artifacts}${revertSection(status)}${timeline}`,
  );
}

function questionSection({ question, options }: QuestionDetails): string {
  return `<section><h3>${escapeHtml(question.trigger)}: ${escapeHtml(question.state)}</h3><p class="problem">${escapeHtml(question.problem)}</p>
<ul>${options.map((o) => `<li><strong>${escapeHtml(o.title)}</strong>${o.recommended ? ' (recommended)' : ''}: risk ${escapeHtml(o.risk)}, ${escapeHtml(blockingText(o.blockingSeconds))}${o.impact ? `; performance: ${escapeHtml(o.impact.performance)}; consistency: ${escapeHtml(o.impact.consistency)}; scalability: ${escapeHtml(o.impact.scalability)}` : ''}</li>`).join('')}</ul>
<p>Recommendation: ${escapeHtml(optionTitle(question, question.recommendation.optionId))}, because ${escapeHtml(question.recommendation.reason)}</p>
${votesList(question)}</section>`;
}

function votesList(question: QuestionView): string {
  if (!question.votes.length)
    return `<p>No decision yet (${question.quorum} needed; asked: ${escapeHtml(question.askedTo.join(', '))}).</p>`;
  return `<ul>${question.votes.map((v) => `<li>${escapeHtml(v.person)} chose <strong>${escapeHtml(optionTitle(question, v.optionId))}</strong> via ${escapeHtml(v.channel)} at ${escapeHtml(v.at)}${v.comment ? `: “${escapeHtml(v.comment)}”` : ''}</li>`).join('')}</ul>`;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** The page an email link opens: shows the question and a form; only the POST decides. */
export function decisionPage(input: {
  status: RequestStatusView;
  details: QuestionDetails;
  person: string;
  token: string;
  csrf: string;
  selected?: string;
}): string {
  const { status, details, person, token, csrf, selected } = input;
  const { question } = details;
  const options = details.options
    .map(
      (
        o,
      ) => `<p><label><input type="radio" name="option" value="${escapeHtml(o.id)}"${o.id === selected ? ' checked' : ''} required> <strong>${escapeHtml(o.title)}</strong>${o.recommended ? ' (recommended)' : ''}</label><br>
risk ${escapeHtml(o.risk)}, ${escapeHtml(blockingText(o.blockingSeconds))}${o.summary ? `<br>${escapeHtml(o.summary)}` : ''}${o.impact ? `<br>Performance: ${escapeHtml(o.impact.performance)}<br>Consistency: ${escapeHtml(o.impact.consistency)}<br>Scalability: ${escapeHtml(o.impact.scalability)}` : ''}</p>`,
    )
    .join('');
  return page(
    `Decide: ${status.title}`,
    `<p>You decide as <strong>${escapeHtml(person)}</strong> on ${escapeHtml(status.kind)} request <a href="/requests/${encodeURIComponent(status.requestId)}">${escapeHtml(status.requestId)}</a> for <code>${escapeHtml(status.target)}/${escapeHtml(status.environment)}</code>, requested by ${escapeHtml(status.requester)}.</p>
<p class="problem"><strong>Problem</strong> (${escapeHtml(question.trigger)}): ${escapeHtml(question.problem)}</p>
<p><strong>Recommendation</strong>: ${escapeHtml(optionTitle(question, question.recommendation.optionId))}, because ${escapeHtml(question.recommendation.reason)}</p>
<form method="post" action="/decide">
<input type="hidden" name="token" value="${escapeHtml(token)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
${options}
<p><label>Comment (required to reject or to go against the recommendation)<br><textarea name="comment" rows="3" cols="60"></textarea></label></p>
<p><button type="submit">Record my decision</button></p>
</form>${votesList(question)}`,
  );
}

export function messagePage(title: string, message: string, link?: { href: string; text: string }): string {
  return page(
    title,
    `<p>${escapeHtml(message)}</p>${link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : ''}`,
  );
}

export function inboxPage(mails: CapturedMail[]): string {
  const rows = mails.map(
    (m) =>
      `<tr><td>${escapeHtml(m.receivedAt.toISOString())}</td><td>${escapeHtml(m.to.join(', '))}</td><td><a href="/inbox/${m.id}">${escapeHtml(m.subject)}</a></td></tr>`,
  );
  return page(
    'Inbox',
    `<p>Mail sent by this schemawright, caught locally (no SMTP_URL is set).</p>${rows.length ? `<table><thead><tr><th>received</th><th>to</th><th>subject</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p>No mail yet.</p>'}`,
  );
}

export function mailPage(mail: CapturedMail): string {
  // The HTML part is shown in a sandboxed frame: no scripts, links open in a new tab.
  const html = mail.html
    ? `<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" style="width:100%;height:60vh;border:1px solid #dde" srcdoc="${escapeHtml(`<base target="_blank">${mail.html}`)}"></iframe>`
    : '';
  const text = escapeHtml(mail.text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);
  return page(
    mail.subject,
    `<p>To ${escapeHtml(mail.to.join(', '))}, from ${escapeHtml(mail.from)}, at ${escapeHtml(mail.receivedAt.toISOString())}</p>${html}<h2>Plain text</h2><pre style="white-space:pre-wrap">${text}</pre>`,
  );
}
