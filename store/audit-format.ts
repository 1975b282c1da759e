import type { AuditEntry } from './audit';

/** How the audit log is shown: the CLI prints these; Slack and the web can render the same entries. */
export type AuditFormat = 'table' | 'markdown' | 'json' | 'csv';
export const AUDIT_FORMATS: readonly AuditFormat[] = ['table', 'markdown', 'json', 'csv'];

const COLUMNS = ['seq', 'at', 'kind', 'request', 'target', 'actor', 'channel', 'data'] as const;

function cells(entry: AuditEntry): string[] {
  return [String(entry.seq), entry.at.toISOString(), entry.kind, entry.requestId, entry.target, entry.actor ?? '', entry.channel ?? '', JSON.stringify(entry.data)];
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function renderAudit(entries: AuditEntry[], format: AuditFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(entries, null, 2);
    case 'csv':
      return [[...COLUMNS, 'prev_hash', 'hash'], ...entries.map((e) => [...cells(e), e.prevHash, e.hash])].map((row) => row.map(csvField).join(',')).join('\r\n');
    case 'markdown': {
      const escape = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
      const rows = entries.map((e) => `| ${cells(e).map((c, i) => (i === 7 ? `\`${escape(c)}\`` : escape(c))).join(' | ')} |`);
      return [`| ${COLUMNS.join(' | ')} |`, `|${COLUMNS.map(() => ' --- ').join('|')}|`, ...rows].join('\n');
    }
    case 'table': {
      if (entries.length === 0) return 'no audit entries match';
      // The data column is cut so a row stays on one line; json and csv keep everything.
      const rows = [[...COLUMNS], ...entries.map((e) => cells(e).map((c, i) => (i === 7 && c.length > 60 ? `${c.slice(0, 59)}…` : c)))];
      const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
    }
  }
}
