import { createHash } from 'node:crypto';
import { raw } from 'hono/html';
import type { Finding, Severity } from '../../artifacts/findings';
import type { Migration } from '../../artifacts/migration';
import type { Plan } from '../../activities/review/plan';
import { PHASES, type QuestionView, type RequestStatusView } from '../../workflows/design-request-messages';
import type { CapturedMail } from '../email/capture';
import { blockingText, optionTitle, type QuestionDetails } from '../question-details';
import { Diagrams } from './diagrams';
import { SqlBlock, downScript, upScript } from './highlight';
import { render, renderPage, Table } from './layout';
import type { RequestRow, RequestListQuery } from './request-list';
import { RevertSection } from './revert-section';

export interface OtherWorkflow {
  workflowId: string;
  type: string;
  status: string;
  startTime: Date;
}

const requestHref = (requestId: string) => `/requests/${encodeURIComponent(requestId)}`;

export interface RequestListPageData {
  rows: RequestRow[];
  query: RequestListQuery;
  /** How many requests match the filters, over all pages. */
  matching: number;
  pages: number;
  /** The values each select offers, from the requests there are. */
  choices: { state: string[]; target: string[]; kind: string[]; requester: string[] };
  temporalUiUrl?: string;
  others?: OtherWorkflow[];
  notice?: string;
}

function Select({ name, label, values, chosen }: { name: string; label: string; values: string[]; chosen?: string }) {
  return (
    <label>
      {label}
      <select name={name}>
        <option value="">any</option>
        {values.map((v) => (
          <option value={v} selected={v === chosen}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Requests, newest first, with their titles; filters and pages in the query string, so a view can be linked. */
export function requestListPage(data: RequestListPageData): string {
  const { rows, query, matching, pages, choices, temporalUiUrl, others = [], notice } = data;
  const pageHref = (n: number) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value && name !== 'page') params.set(name, String(value));
    if (n > 1) params.set('page', String(n));
    const text = params.toString();
    return text ? `/?${text}` : '/';
  };
  return renderPage({
    title: 'Requests',
    children: (
      <>
        {notice ? (
          <p role="status">
            <strong>{notice}</strong>
          </p>
        ) : null}
        {temporalUiUrl ? (
          <p>
            Temporal UI: <a href={temporalUiUrl}>{temporalUiUrl}</a>
          </p>
        ) : null}
        <form method="get" action="/" class="filters" role="search">
          <Select name="state" label="State" values={choices.state} chosen={query.state} />
          <Select name="target" label="Target" values={choices.target} chosen={query.target} />
          <Select name="kind" label="Kind" values={choices.kind} chosen={query.kind} />
          <Select name="requester" label="Requester" values={choices.requester} chosen={query.requester} />
          <label>
            Text
            <input type="search" name="text" value={query.text ?? ''} placeholder="title or id" />
          </label>
          <button type="submit">Filter</button>
        </form>
        {rows.length ? (
          <Table columns={['request', 'kind', 'target', 'requester', 'state', 'phase', 'started']}>
                {rows.map((r) => (
                  <tr>
                    <td>
                      <a href={requestHref(r.requestId)}>{r.title ?? r.requestId}</a>
                      <br />
                      <small>
                        <code>{r.requestId}</code>
                      </small>
                    </td>
                    <td>{r.kind}</td>
                    <td>
                      {r.target}/{r.environment}
                    </td>
                    <td>{r.requester}</td>
                    <td>{r.status}</td>
                    <td>{r.phase}</td>
                    <td>{r.startTime.toISOString()}</td>
                  </tr>
                ))}
              </Table>
        ) : matching === 0 && !Object.values(query).some(Boolean) ? (
          <p>
            No requests yet. Start one with <code>schemawright request</code>, <code>/dbdesign</code> in Slack, or{' '}
            <code>POST /api/requests</code>.
          </p>
        ) : (
          <p>No request matches these filters.</p>
        )}
        <nav class="pager" aria-label="Pages">
          <span>
            {matching} request{matching === 1 ? '' : 's'}, page {query.page} of {Math.max(pages, 1)}
          </span>
          {query.page > 1 ? (
            <a href={pageHref(query.page - 1)} rel="prev">
              Newer
            </a>
          ) : null}
          {query.page < pages ? (
            <a href={pageHref(query.page + 1)} rel="next">
              Older
            </a>
          ) : null}
        </nav>
        {others.length ? (
          <>
            <h2>Other workflows</h2>
            <Table columns={['workflow', 'type', 'status', 'started']}>
                  {others.map((w) => (
                    <tr>
                      <td>
                        <code>{w.workflowId}</code>
                      </td>
                      <td>{w.type}</td>
                      <td>{w.status}</td>
                      <td>{w.startTime.toISOString()}</td>
                    </tr>
                  ))}
                </Table>
          </>
        ) : null}
      </>
    ),
  });
}

/** Findings of one phase, as its artifact holds them. */
export interface PhaseFindings {
  phase: 'analysis' | 'modeling' | 'review';
  findings: Finding[];
}

export interface RequestPageData {
  status: RequestStatusView;
  findings: PhaseFindings[];
  /** The ERD document (Markdown with ```mermaid blocks). */
  erd?: string;
  /** The migrations as review rendered them (or as modeling made them, before review). */
  migrations?: Migration[];
  /** Each step's locks and estimated blocking time, or why there is no plan. */
  plan?: Plan | { problem: string };
  details: QuestionDetails[];
}

const SEVERITIES: Severity[] = ['error', 'warning', 'info'];
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function FindingsSection({ findings }: { findings: PhaseFindings[] }) {
  const all = findings.flatMap(({ phase, findings }) => findings.map((finding) => ({ phase, finding })));
  const counts = SEVERITIES.map((s) => [s, all.filter((f) => f.finding.severity === s).length] as const);
  return (
    <section>
      <h2>Findings</h2>
      <p>
        {all.length
          ? counts
              .filter(([, n]) => n)
              .map(([s, n]) => plural(n, s))
              .join(', ')
          : 'none'}{' '}
        (from {findings.map((f) => f.phase).join(', ') || 'no phase yet'})
      </p>
      {counts
        .filter(([, n]) => n)
        .map(([severity, n]) => (
          <details class={`severity-${severity}`} open={severity !== 'info'}>
            <summary>{plural(n, severity)}</summary>
            <ul>
              {all
                .filter((f) => f.finding.severity === severity)
                .map(({ phase, finding }) => (
                  <li>
                    <code>{finding.id}</code> <small>({phase})</small>
                    {finding.object ? (
                      <>
                        {' '}
                        on <code>{finding.object}</code>
                      </>
                    ) : null}
                    : {finding.message}
                    {finding.why ? <small> {finding.why}</small> : null}
                    {finding.fix ? <SqlBlock sql={finding.fix} /> : null}
                  </li>
                ))}
            </ul>
          </details>
        ))}
    </section>
  );
}

function MigrationSection({ migrations }: { migrations: Migration[] }) {
  return (
    <section>
      <h2>Migration</h2>
      {migrations.map((m) => {
        const down = downScript(m);
        return (
          <article>
            <h3>
              {m.version} {m.name}
            </h3>
            <h4>Up</h4>
            <SqlBlock sql={upScript(m)} />
            <h4>Down</h4>
            {down ? (
              <SqlBlock sql={down} />
            ) : (
              <p>No down migration: some steps cannot be undone by SQL.</p>
            )}
          </article>
        );
      })}
    </section>
  );
}

function PlanSection({ plan }: { plan: Plan | { problem: string } }) {
  if ('problem' in plan)
    return (
      <section>
        <h2>Step plan</h2>
        <p>No plan: {plan.problem}</p>
      </section>
    );
  return (
    <section>
      <h2>Step plan</h2>
      <p>
        PostgreSQL {plan.pgVersion};{' '}
        {plan.sized ? 'blocking times from the target’s table sizes' : 'table sizes unknown: blocking not estimated'}.
      </p>
      {plan.migrations.map((m) => (
        <Table columns={['step', 'statement', 'locks', 'blocking']} caption={`${m.path}: ${blockingText(m.blockingSeconds)} in all`}>
              {m.steps.map((step) => (
                <tr>
                  <td>
                    {step.name}
                    <br />
                    <small>{step.transactional ? 'in a transaction' : step.kind}</small>
                  </td>
                  <td>
                    <SqlBlock sql={step.sql} />
                  </td>
                  <td>
                    {step.locks.length ? (
                      <ul>
                        {step.locks.map((lock) => (
                          <li>
                            <strong>{lock.lock}</strong> on <code>{lock.table}</code>, blocks {lock.blocks}
                            {lock.rewrites ? ', rewrites the table' : lock.scans ? ', scans the table' : ''}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      'no table lock'
                    )}
                  </td>
                  <td>{blockingText(step.blockingSeconds)}</td>
                </tr>
              ))}
            </Table>
      ))}
    </section>
  );
}

function VotesList({ question }: { question: QuestionView }) {
  if (!question.votes.length)
    return (
      <p>
        No decision yet ({question.quorum} needed; asked: {question.askedTo.join(', ')}).
      </p>
    );
  return (
    <ul>
      {question.votes.map((v) => (
        <li>
          {v.person} chose <strong>{optionTitle(question, v.optionId)}</strong> via {v.channel} at {v.at}
          {v.comment ? `: “${v.comment}”` : ''}
        </li>
      ))}
    </ul>
  );
}

function QuestionSection({ details: { question, options } }: { details: QuestionDetails }) {
  return (
    <article>
      <h3>
        {question.trigger}: {question.state}
      </h3>
      <p class="problem">{question.problem}</p>
      <ul>
        {options.map((o) => (
          <li>
            <strong>{o.title}</strong>
            {o.recommended ? ' (recommended)' : ''}: risk {o.risk}, {blockingText(o.blockingSeconds)}
            {o.impact
              ? `; performance: ${o.impact.performance}; consistency: ${o.impact.consistency}; scalability: ${o.impact.scalability}`
              : ''}
          </li>
        ))}
      </ul>
      <p>
        Recommendation: {optionTitle(question, question.recommendation.optionId)}, because{' '}
        {question.recommendation.reason}
      </p>
      <VotesList question={question} />
    </article>
  );
}

/** What a request's page shows below its title; the server sends it again, re-rendered, as the request moves. */
export function RequestBody({ status, findings, erd, migrations, plan, details }: RequestPageData) {
  const steps = PHASES.slice(1, -1);
  const at = steps.indexOf(status.phase);
  const artifactNames = Object.keys(status.artifacts);
  return (
    <>
      <ol class="phases" aria-label="Phases">
        {steps.map((p, i) => (
          <li
            class={status.phase === 'done' || i < at ? 'done' : i === at ? 'now' : ''}
            aria-current={i === at ? 'step' : undefined}
          >
            {p}
          </li>
        ))}
      </ol>
      <p>
        {status.kind} on{' '}
        <a href={`/targets/${encodeURIComponent(status.target)}`}>
          <code>
            {status.target}/{status.environment}
          </code>
        </a>
        , requested by {status.requester}. State: <strong>{status.state}</strong>, phase{' '}
        <strong>{status.phase}</strong>.
      </p>
      {status.outcome ? <p>Outcome: {status.outcome}</p> : null}
      {status.waitingFor ? <p class="waiting-for">Waiting for {status.waitingFor}.</p> : null}
      <FindingsSection findings={findings} />
      {erd ? (
        <section>
          <h2>Entity-relationship diagram</h2>
          <Diagrams document={erd} />
        </section>
      ) : null}
      {migrations?.length ? <MigrationSection migrations={migrations} /> : null}
      {plan ? <PlanSection plan={plan} /> : null}
      {details.length ? (
        <section>
          <h2>Questions</h2>
          {details.map((d) => (
            <QuestionSection details={d} />
          ))}
        </section>
      ) : null}
      {artifactNames.length ? (
        <section>
          <h2>Artifacts</h2>
          <ul>
            {artifactNames.map((name) => (
              <li>
                <a href={`${requestHref(status.requestId)}/artifacts/${encodeURIComponent(name)}`}>{name}</a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <RevertSection status={status} />
      <section>
        <h2>Timeline</h2>
        <Table columns={['at', 'event', 'detail']}>
              {status.timeline.map((t) => (
                <tr>
                  <td>{t.at}</td>
                  <td>{t.event}</td>
                  <td>{t.detail ?? ''}</td>
                </tr>
              ))}
            </Table>
      </section>
    </>
  );
}

/** Requests that can still change: their page listens for server-sent events. */
export const ENDED_STATES: ReadonlySet<string> = new Set(['completed', 'rejected', 'expired', 'cancelled', 'failed']);

/** The live part alone, as the event stream sends it. */
export function requestBody(data: RequestPageData): string {
  return render(<RequestBody {...data} />);
}

/** Names a rendering of the live part: the event stream sends nothing until the page's one is out of date. */
export function bodyVersion(html: string): string {
  return createHash('sha256').update(html).digest('base64url').slice(0, 22);
}

export function requestPage(data: RequestPageData): string {
  const { status } = data;
  const body = requestBody(data);
  const events = ENDED_STATES.has(status.state)
    ? undefined
    : `${requestHref(status.requestId)}/events?shown=${bodyVersion(body)}`;
  return renderPage({
    title: status.title,
    diagrams: Boolean(data.erd),
    children: (
      <div id="live" data-events={events} aria-live="polite">
        {raw(body)}
      </div>
    ),
  });
}

/** The page an email link opens: shows the question and a form; only the POST decides. */
export function decisionPage(input: {
  /** A request's, or a rollout's told as one: its kind `rollout`, its target the group, its environment the stage. */
  status: Pick<RequestStatusView, 'title' | 'requestId' | 'requester' | 'target' | 'environment'> & { kind: string };
  details: QuestionDetails;
  person: string;
  token: string;
  csrf: string;
  selected?: string;
}): string {
  const { status, details, person, token, csrf, selected } = input;
  const { question } = details;
  return renderPage({
    title: `Decide: ${status.title}`,
    children: (
      <>
        <p>
          You decide as <strong>{person}</strong> on {status.kind} request{' '}
          <a href={requestHref(status.requestId)}>{status.requestId}</a> for{' '}
          <code>
            {status.target}/{status.environment}
          </code>
          , requested by {status.requester}.
        </p>
        <p class="problem">
          <strong>Problem</strong> ({question.trigger}): {question.problem}
        </p>
        <p>
          <strong>Recommendation</strong>: {optionTitle(question, question.recommendation.optionId)}, because{' '}
          {question.recommendation.reason}
        </p>
        <form method="post" action="/decide">
          <input type="hidden" name="token" value={token} />
          <input type="hidden" name="csrf" value={csrf} />
          <fieldset>
            <legend>Your choice</legend>
            {details.options.map((o) => (
              <p>
                <label>
                  <input type="radio" name="option" value={o.id} checked={o.id === selected} required />{' '}
                  <strong>{o.title}</strong>
                  {o.recommended ? ' (recommended)' : ''}
                </label>
                <br />
                risk {o.risk}, {blockingText(o.blockingSeconds)}
                {o.summary ? (
                  <>
                    <br />
                    {o.summary}
                  </>
                ) : null}
                {o.impact ? (
                  <>
                    <br />
                    Performance: {o.impact.performance}
                    <br />
                    Consistency: {o.impact.consistency}
                    <br />
                    Scalability: {o.impact.scalability}
                  </>
                ) : null}
              </p>
            ))}
          </fieldset>
          <label>
            Comment (required to reject or to go against the recommendation)
            <textarea name="comment" rows={3}></textarea>
          </label>
          <button type="submit">Record my decision</button>
        </form>
        <VotesList question={question} />
      </>
    ),
  });
}

export function messagePage(title: string, message: string, link?: { href: string; text: string }): string {
  return renderPage({
    title,
    children: (
      <>
        <p>{message}</p>
        {link ? (
          <p>
            <a href={link.href}>{link.text}</a>
          </p>
        ) : null}
      </>
    ),
  });
}

export function inboxPage(mails: CapturedMail[]): string {
  return renderPage({
    title: 'Inbox',
    children: (
      <>
        <p>Mail sent by this schemawright, caught locally (no SMTP_URL is set).</p>
        {mails.length ? (
          <Table columns={['received', 'to', 'subject']}>
                {mails.map((m) => (
                  <tr>
                    <td>{m.receivedAt.toISOString()}</td>
                    <td>{m.to.join(', ')}</td>
                    <td>
                      <a href={`/inbox/${m.id}`}>{m.subject}</a>
                    </td>
                  </tr>
                ))}
              </Table>
        ) : (
          <p>No mail yet.</p>
        )}
      </>
    ),
  });
}

export function mailPage(mail: CapturedMail): string {
  // Links in the plain text become links; everything else stays text.
  const parts = mail.text.split(/(https?:\/\/[^\s<]+)/g);
  return renderPage({
    title: mail.subject,
    children: (
      <>
        <p>
          To {mail.to.join(', ')}, from {mail.from}, at {mail.receivedAt.toISOString()}
        </p>
        {mail.html ? (
          // The HTML part is shown in a sandboxed frame: no scripts, links open in a new tab.
          <iframe
            sandbox="allow-popups allow-popups-to-escape-sandbox"
            title="The mail as HTML"
            style="width:100%;height:60vh;border:1px solid #dde"
            srcdoc={`<base target="_blank">${mail.html}`}
          ></iframe>
        ) : null}
        <h2>Plain text</h2>
        <pre style="white-space:pre-wrap">{parts.map((part, i) => (i % 2 ? <a href={part}>{part}</a> : part))}</pre>
      </>
    ),
  });
}
