import type { AuditEntry } from './audit';

/** How the audit log is shown: the CLI prints these; Slack and the web can render the same entries. */
export type AuditFormat = 'table' | 'markdown' | 'json' | 'csv';
export const AUDIT_FORMATS: readonly AuditFormat[] = ['table', 'markdown', 'json', 'csv'];

const COLUMNS = ['seq', 'at', 'kind', 'request', 'target', 'actor', 'channel', 'data'] as const;

function cells(entry: AuditEntry): string[] {
  return [
    String(entry.seq),
    entry.at.toISOString(),
    entry.kind,
    entry.requestId,
    entry.target,
    entry.actor ?? '',
    entry.channel ?? '',
    JSON.stringify(entry.data),
  ];
}

/**
 * Characters that act on a terminal or reorder what it shows instead of being shown: C0 controls, DEL,
 * C1 controls (U+009B is a CSI on some terminals) and the bidirectional controls of "Trojan Source".
 * Audited values quote whatever people and URLs sent, so every format shows these as \uXXXX.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves as it is (it escapes C0 controls itself). */
const CONTROLS_BUT_C0 = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escaped = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every control character written out; line breaks too unless kept. */
export function visible(text: string, keepNewlines = false): string {
  return text.replace(keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS, escaped);
}

/**
 * RFC 4180 (a field with a comma, quote or line break is quoted, its quotes doubled), after the OWASP
 * guidance on CSV injection: a field a spreadsheet would take as a formula (first character = + - @,
 * or a tab or carriage return, which `visible` has already written out) starts with a ' instead.
 */
function csvField(value: string): string {
  const shown = visible(value, true);
  const inert = /^[=+\-@]/.test(shown) ? `'${shown}` : shown;
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
}

export function renderAudit(entries: AuditEntry[], format: AuditFormat): string {
  switch (format) {
    case 'json':
      // JSON escapes of the same values: a JSON reader gets them back unchanged.
      return JSON.stringify(entries, null, 2).replace(CONTROLS_BUT_C0, escaped);
    case 'csv':
      return [[...COLUMNS, 'prev_hash', 'hash'], ...entries.map((e) => [...cells(e), e.prevHash, e.hash])]
        .map((row) => row.map(csvField).join(','))
        .join('\r\n');
    case 'markdown': {
      const escape = (text: string) => visible(text.replace(/\r?\n/g, ' ')).replace(/\|/g, '\\|');
      const rows = entries.map(
        (e) =>
          `| ${cells(e)
            .map((c, i) => (i === 7 ? `\`${escape(c)}\`` : escape(c)))
            .join(' | ')} |`,
      );
      return [`| ${COLUMNS.join(' | ')} |`, `|${COLUMNS.map(() => ' --- ').join('|')}|`, ...rows].join('\n');
    }
    case 'table': {
      if (entries.length === 0) return 'no audit entries match';
      // The data column is cut so a row stays on one line; json and csv keep everything.
      const rows = [
        [...COLUMNS],
        ...entries.map((e) =>
          cells(e)
            .map((c) => visible(c))
            .map((c, i) => (i === 7 && c.length > 60 ? `${c.slice(0, 59)}…` : c)),
        ),
      ];
      const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      return rows
        .map((r) =>
          r
            .map((c, i) => c.padEnd(widths[i]))
            .join('  ')
            .trimEnd(),
        )
        .join('\n');
    }
  }
}
