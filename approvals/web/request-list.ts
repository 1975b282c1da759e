import type { Pool } from 'pg';
import type { RequestSummary } from '../requests';

export interface RequestRow extends RequestSummary {
  /** From the request's `request-created` audit entry; absent for a request that has not written it yet. */
  title?: string;
}

export interface RequestListQuery {
  state?: string;
  target?: string;
  kind?: string;
  requester?: string;
  /** Part of the title or the id, any case. */
  text?: string;
  /** 1-based. */
  page: number;
}

export const PAGE_SIZE = 25;

/** The list's filters from a query string: unknown parameters are ignored, a page that is no number is the first. */
export function requestListQuery(params: URLSearchParams): RequestListQuery {
  const text = (name: string) => params.get(name)?.trim() || undefined;
  const page = Number(params.get('page'));
  return {
    state: text('state'),
    target: text('target'),
    kind: text('kind'),
    requester: text('requester'),
    text: text('text'),
    page: Number.isSafeInteger(page) && page > 0 ? page : 1,
  };
}

/** Each request's title, as its workflow audited it when it started. */
export async function requestTitles(pool: Pool): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ request_id: string; title: string | null }>(
    "SELECT request_id, data->>'title' AS title FROM audit_log WHERE kind = 'request-created'",
  );
  return new Map(rows.filter((r) => r.title !== null).map((r) => [r.request_id, r.title!]));
}

const distinct = (values: string[]) => [...new Set(values.filter(Boolean))].sort();

/** One page of the requests that match every filter, newest first, and what the filters can choose from. */
export function requestListView(summaries: RequestSummary[], titles: Map<string, string>, query: RequestListQuery) {
  const rows: RequestRow[] = summaries.map((s) => ({ ...s, title: titles.get(s.requestId) }));
  const needle = query.text?.toLowerCase();
  const matching = rows.filter(
    (r) =>
      (!query.state || r.status === query.state) &&
      (!query.target || r.target === query.target) &&
      (!query.kind || r.kind === query.kind) &&
      (!query.requester || r.requester === query.requester) &&
      (!needle || `${r.title ?? ''}\n${r.requestId}`.toLowerCase().includes(needle)),
  );
  return {
    rows: matching.slice((query.page - 1) * PAGE_SIZE, query.page * PAGE_SIZE),
    matching: matching.length,
    pages: Math.ceil(matching.length / PAGE_SIZE),
    choices: {
      state: distinct(rows.map((r) => r.status)),
      target: distinct(rows.map((r) => r.target)),
      kind: distinct(rows.map((r) => r.kind)),
      requester: distinct(rows.map((r) => r.requester)),
    },
  };
}
