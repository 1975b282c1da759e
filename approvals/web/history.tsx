import type { AuditEntry, AuditFilters, AuditVerification } from '../../store/audit';
import { NO_REQUEST } from '../requests';
import type { AnchoredVerification } from '../../store/audit-checkpoints';
import { visible } from '../../store/audit-format';
import { HttpError } from './http';
import { renderPage, Table } from './layout';

export interface HistoryQuery {
  target?: string;
  request?: string;
  person?: string;
  kind?: string;
  /** YYYY-MM-DD, inclusive, UTC. */
  from?: string;
  to?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The page shows the newest entries; an export has every matching one. */
export const HISTORY_PAGE_LIMIT = 500;

export function historyQuery(params: URLSearchParams): HistoryQuery {
  const text = (name: string) => params.get(name)?.trim() || undefined;
  const query = {
    target: text('target'),
    request: text('request'),
    person: text('person'),
    kind: text('kind'),
    from: text('from'),
    to: text('to'),
  };
  for (const name of ['from', 'to'] as const) {
    const day = query[name];
    if (day && (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))))
      throw new HttpError(400, `${name} must be a date as YYYY-MM-DD (got '${day}')`);
  }
  return query;
}

/** The store's filters for the query (the kind is filtered after: see matchesKind). */
export function auditFilters(query: HistoryQuery, limit?: number): AuditFilters {
  const until = query.to ? new Date(Date.parse(`${query.to}T00:00:00Z`) + 86_400_000) : undefined;
  return {
    target: query.target,
    requestId: query.request,
    actor: query.person,
    since: query.from ? new Date(`${query.from}T00:00:00Z`) : undefined,
    until,
    limit,
  };
}

export const matchesKind = (query: HistoryQuery) => (entry: AuditEntry) => !query.kind || entry.kind === query.kind;

export function queryString(query: HistoryQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}

function VerificationState({ verification }: { verification: AuditVerification | AnchoredVerification }) {
  const anchored = 'checkpoints' in verification ? verification : undefined;
  if (verification.ok)
    return (
      <p class="verified" role="status">
        ✔ The chain holds: {verification.entries} entries verified from the first
        {anchored ? `, against ${anchored.checkpoints} signed checkpoints` : ' (hashes only: no audit key given)'}.
      </p>
    );
  const why =
    anchored?.forged ??
    (verification.firstBroken
      ? `entry ${verification.firstBroken.seq}: ${verification.firstBroken.reason}`
      : verification.truncated
        ? `the log has ${verification.truncated.entries} entries, but a checkpoint signed at ${verification.truncated.signedAt} saw ${verification.truncated.signedEntries}: its newest entries were removed`
        : 'not verified');
  return (
    <p class="broken" role="alert">
      ✘ The chain is broken: {why}. Run <code>schemawright audit verify</code> for the details.
    </p>
  );
}

export function historyPage(input: {
  entries: AuditEntry[];
  query: HistoryQuery;
  kinds: string[];
  verification: AuditVerification | AnchoredVerification;
}): string {
  const { entries, query, kinds, verification } = input;
  const field = (name: keyof HistoryQuery, label: string, type = 'text') => (
    <label>
      {label}
      <input type={type} name={name} value={query[name] ?? ''} />
    </label>
  );
  return renderPage({
    title: 'Decision history',
    children: (
      <>
        <VerificationState verification={verification} />
        <form method="get" action="/history" class="filters" role="search">
          {field('target', 'Target')}
          {field('request', 'Request')}
          {field('person', 'Person')}
          <label>
            Kind
            <select name="kind">
              <option value="">any</option>
              {kinds.map((k) => (
                <option value={k} selected={k === query.kind}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          {field('from', 'From', 'date')}
          {field('to', 'To', 'date')}
          <button type="submit">Filter</button>
        </form>
        <p>
          Export these entries:{' '}
          {(['csv', 'json', 'markdown'] as const).map((format, i) => (
            <>
              {i ? ', ' : ''}
              <a href={`/history/export?${queryString(query, { format })}`}>{format.toUpperCase()}</a>
            </>
          ))}
          .{' '}
          {entries.length >= HISTORY_PAGE_LIMIT
            ? `The newest ${HISTORY_PAGE_LIMIT} are shown; an export has them all.`
            : `${entries.length} entries.`}
        </p>
        <Table columns={['#', 'at', 'kind', 'request', 'target', 'person', 'channel', 'data']}>
              {[...entries].reverse().map((e) => (
                <tr>
                  <td>{e.seq}</td>
                  <td>{e.at.toISOString()}</td>
                  <td>{e.kind}</td>
                  <td>
                    {e.requestId === NO_REQUEST ? (
                      '-'
                    ) : (
                      <a href={`/requests/${encodeURIComponent(e.requestId)}`}>{visible(e.requestId)}</a>
                    )}
                  </td>
                  <td>{visible(e.target)}</td>
                  <td>{visible(e.actor ?? '')}</td>
                  <td>{e.channel ?? ''}</td>
                  <td>
                    <small>{visible(JSON.stringify(e.data))}</small>
                  </td>
                </tr>
              ))}
            </Table>
      </>
    ),
  });
}
