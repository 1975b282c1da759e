import type { Finding, Severity } from './findings';

export type FindingsFormat = 'text' | 'json' | 'markdown';
export const FINDINGS_FORMATS: readonly FindingsFormat[] = ['text', 'json', 'markdown'];

export interface FindingsSummary {
  target: string;
  fingerprint: string;
  tables: number;
  indexes: number;
}

function counts(findings: Finding[]): Record<Severity, number> {
  const result: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) result[f.severity]++;
  return result;
}

/** Findings as a terminal, a machine or a pull request reads them. */
export function renderFindings(findings: Finding[], format: FindingsFormat, summary: FindingsSummary): string {
  const tally = counts(findings);
  if (format === 'json') return JSON.stringify({ ...summary, counts: tally, findings }, null, 2);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const headline = `${summary.target}: ${count(summary.tables, 'table')}, ${summary.indexes === 1 ? '1 index' : `${summary.indexes} indexes`}; ${count(tally.error, 'error')}, ${count(tally.warning, 'warning')}, ${count(tally.info, 'note')} (${summary.fingerprint})`;
  if (format === 'text') {
    const lines = findings.map((f) => {
      const fix = f.fix ? `\n    fix: ${f.fix.replace(/\n/g, '\n         ')}` : '';
      return `${f.severity.padEnd(7)} ${f.id}  ${f.message}\n    why: ${f.why}${fix}`;
    });
    return [headline, '', ...lines].join('\n');
  }
  const sections = findings.map((f) => {
    const fix = f.fix ? `\n\n\`\`\`sql\n${f.fix}\n\`\`\`` : '';
    return `### ${f.severity === 'error' ? '🛑' : f.severity === 'warning' ? '⚠️' : 'ℹ️'} \`${f.id}\` ${f.object ?? ''}\n\n${f.message}. ${f.why}${fix}`;
  });
  return [`## Schema analysis\n\n${headline}`, ...sections].join('\n\n');
}
