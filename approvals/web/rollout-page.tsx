import type { RolloutSummary } from '../rollouts';
import type { RolloutStatusView, TargetView } from '../../workflows/rollout-messages';
import { targetRequestId } from '../../workflows/rollout-messages';
import { renderPage, Table } from './layout';

export const rolloutHref = (rolloutId: string) => `/rollouts/${encodeURIComponent(rolloutId)}`;

/**
 * What a person holding a rollout link may do from the page: every form carries the link's token and
 * the CSRF value bound to it and to the browser's cookie, as the email decision page does.
 */
export interface RolloutForms {
  person: string;
  token: string;
  csrf: string;
}

export interface RolloutPageData {
  view: RolloutStatusView;
  forms?: RolloutForms;
  /** Why the link the page was opened with gives no controls (used, expired, another rollout's). */
  linkProblem?: string;
}

const FAILED = new Set<TargetView['state']>(['failed', 'drifted']);

function Hidden({ forms }: { forms: RolloutForms }) {
  return (
    <>
      <input type="hidden" name="token" value={forms.token} />
      <input type="hidden" name="csrf" value={forms.csrf} />
    </>
  );
}

/** One button that posts one control: its action (and target) are the form's, never the URL's. */
function ControlButton({
  rolloutId,
  forms,
  action,
  target,
  label,
}: {
  rolloutId: string;
  forms: RolloutForms;
  action: string;
  target?: string;
  label: string;
}) {
  return (
    <form method="post" action={`${rolloutHref(rolloutId)}/controls`} class="control">
      <Hidden forms={forms} />
      <input type="hidden" name="action" value={action} />
      {target ? <input type="hidden" name="target" value={target} /> : null}
      <button type="submit" class={action === 'abort' ? 'secondary' : undefined}>
        {label}
      </button>
    </form>
  );
}

/** A target's child is audited as a request of its own (`<rollout>:<target>`): its log holds each step it applied or failed. */
const childLog = (rolloutId: string, target: string) =>
  `/history?request=${encodeURIComponent(targetRequestId(rolloutId, target))}`;

/** The rollout page: where it is, every target by stage and wave, the failures with their evidence, the open questions and the controls. */
export function rolloutPage({ view, forms, linkProblem }: RolloutPageData): string {
  const id = view.rolloutId;
  const ended = ['completed', 'failed', 'aborted', 'rejected', 'expired'].includes(view.state);
  const failures = view.targets.filter((t) => FAILED.has(t.state));
  const open = view.questions.filter((q) => q.state === 'open');
  const stageCount = new Set(view.targets.map((t) => t.environment)).size;
  return renderPage({
    title: view.title,
    children: (
      <>
        <p>
          Rollout <code>{id}</code> over group <strong>{view.group}</strong>, asked by {view.requester}.{' '}
          State: <strong data-state={view.state}>{view.state}</strong>
          {view.paused && view.state !== 'paused' ? ' (paused)' : ''}.
        </p>
        <p id="current">
          {view.current
            ? `Stage ${view.current.environment}, wave ${view.current.wave} of ${view.current.waves}.`
            : ended
              ? `Ended: ${view.outcome ?? view.state}.`
              : `No wave started yet (${stageCount} stage${stageCount === 1 ? '' : 's'}).`}
        </p>
        {linkProblem ? (
          <p role="status">
            <strong>{linkProblem}</strong>
          </p>
        ) : null}
        {forms && !ended ? (
          <section id="controls">
            <h2>Controls</h2>
            <p>As {forms.person}; this link acts once (pause, resume or abort here, skip or retry in the grid).</p>
            <div class="controls">
              {view.paused ? (
                <ControlButton rolloutId={id} forms={forms} action="resume" label="Resume" />
              ) : (
                <ControlButton rolloutId={id} forms={forms} action="pause" label="Pause" />
              )}
              <ControlButton rolloutId={id} forms={forms} action="abort" label="Abort the rest" />
            </div>
          </section>
        ) : null}
        {open.length ? (
          <section id="questions">
            <h2>Open questions</h2>
            {open.map((q) => (
              <article>
                <p>
                  <code>{q.id}</code>: {q.votes.length} of {q.quorum} vote(s); asked to {q.askedTo.join(', ')}, until{' '}
                  {q.expiresAt}.
                </p>
                <p class="problem">{q.problem}</p>
                <ul>
                  {q.options.map((o) => (
                    <li>
                      <strong>{o.id}</strong>: {o.title} (risk: {o.risk})
                      {o.id === q.recommendation.optionId ? ' (recommended)' : ''}
                    </li>
                  ))}
                </ul>
                {forms ? (
                  <form method="post" action={`${rolloutHref(id)}/decisions`}>
                    <Hidden forms={forms} />
                    <input type="hidden" name="question" value={q.id} />
                    <fieldset>
                      <legend>Your decision, as {forms.person}</legend>
                      {q.options.map((o) => (
                        <label>
                          <input type="radio" name="option" value={o.id} required />
                          {o.title}
                        </label>
                      ))}
                    </fieldset>
                    <label>
                      Comment
                      <input type="text" name="comment" />
                    </label>
                    <button type="submit">Decide</button>
                  </form>
                ) : null}
              </article>
            ))}
          </section>
        ) : null}
        {failures.length ? (
          <section id="failures">
            <h2>Failures</h2>
            <ul>
              {failures.map((t) => (
                <li>
                  <strong>{t.name}</strong> ({t.environment}, wave {t.wave}, {t.state}):{' '}
                  <span class="evidence">{t.detail ?? 'no detail recorded'}</span>{' '}
                  <a href={childLog(id, t.name)}>its steps</a>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        <section id="grid">
          <h2>Targets</h2>
          <Table columns={['stage', 'wave', 'target', 'state', 'review', 'detail', 'child', ...(forms ? [''] : [])]}>
            {view.targets.map((t) => (
              <tr data-state={t.state}>
                <td>{t.environment}</td>
                <td>{t.wave}</td>
                <td>{t.name}</td>
                <td>{t.state}</td>
                <td>
                  <code>{t.review?.slice(0, 12) ?? ''}</code>
                </td>
                <td>{t.detail ?? ''}</td>
                <td>
                  {t.state === 'pending' ? '' : <a href={childLog(id, t.name)}>its log</a>}
                </td>
                {forms ? (
                  <td>
                    {!ended && (t.state === 'pending' || t.state === 'failed') ? (
                      <ControlButton rolloutId={id} forms={forms} action="skip" target={t.name} label="Skip" />
                    ) : null}
                    {!ended && (t.state === 'failed' || t.state === 'skipped') ? (
                      <ControlButton rolloutId={id} forms={forms} action="retry" target={t.name} label="Retry" />
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </Table>
        </section>
        <section id="reviews">
          <h2>Reviews</h2>
          <ul>
            {view.reviews.map((r) => (
              <li>
                <code>{r.fingerprint.slice(0, 12)}</code>: reviewed on {r.reviewedOn}, {r.steps} step(s)
                {r.escalations.length ? `, escalations: ${r.escalations.join(', ')}` : ''}
              </li>
            ))}
          </ul>
          <p>
            <a href={`/history?request=${encodeURIComponent(id)}`}>The rollout's decision history</a>
          </p>
        </section>
      </>
    ),
  });
}

/** Rollouts from Temporal visibility, newest first, with their titles from the audit log. */
export function rolloutListPage(rows: (RolloutSummary & { title?: string })[]): string {
  return renderPage({
    title: 'Rollouts',
    children: rows.length ? (
      <Table columns={['rollout', 'group', 'stage', 'state', 'requester', 'started']}>
        {rows.map((r) => (
          <tr>
            <td>
              <a href={rolloutHref(r.rolloutId)}>{r.title ?? r.rolloutId}</a>
              <br />
              <small>
                <code>{r.rolloutId}</code>
              </small>
            </td>
            <td>{r.group}</td>
            <td>{r.stage}</td>
            <td>{r.status}</td>
            <td>{r.requester}</td>
            <td>{r.startTime.toISOString()}</td>
          </tr>
        ))}
      </Table>
    ) : (
      <p>
        No rollouts yet. Start one with <code>schemawright rollout start</code>.
      </p>
    ),
  });
}
