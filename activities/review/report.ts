import type { Escalation } from '../../artifacts/escalation';
import type { Finding, Severity } from '../../artifacts/findings';
import { type CiReportOptions, renderGithub, renderSarif } from './ci-report';
import type { ReviewReport } from './review';

/**
 * The review report for people (Markdown, e.g. a PR comment) and for tools (JSON; SARIF for code scanning;
 * GitHub Actions annotations); text is for a terminal.
 */
export const REPORT_FORMATS = ['text', 'json', 'markdown', 'sarif', 'github'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderReport(report: ReviewReport, format: ReportFormat, options: CiReportOptions = {}): string {
  if (format === 'json') return JSON.stringify(report, null, 2);
  if (format === 'sarif') return renderSarif(report, options);
  if (format === 'github') return renderGithub(report, options);
  if (format === 'markdown') return renderMarkdown(report);
  return renderText(report);
}

function where(finding: Finding): string {
  const l = finding.location;
  return l ? `${l.file ? `${l.file}:` : ''}${l.line}:${l.column}` : '';
}

function renderText(report: ReviewReport): string {
  const lines = report.findings.map((f) => {
    const fix = f.fix ? `\n    fix: ${f.fix.replace(/\n/g, '\n         ')}` : '';
    return `${where(f)}: ${f.severity} ${f.id} [${f.source}] ${f.message}\n    why: ${f.why}${fix}`;
  });
  lines.push(
    ...nonTransactionalSteps(report).map((s) => `${s.file}: step ${s.step} runs outside a transaction: ${s.sql}`),
  );
  for (const e of report.escalations ?? []) {
    lines.push(
      `question ${e.id}: ${e.problem.replace(/\n/g, '\n    ')}`,
      ...e.options.map((o) => `    option ${o.id}: ${o.title}: ${o.summary}`),
      `    recommended: ${recommendation(e)}`,
    );
  }
  lines.push(summary(report));
  return lines.join('\n');
}

function renderMarkdown(report: ReviewReport): string {
  const out = [`# Migration review (PostgreSQL ${report.pgVersion})`, '', summary(report), ''];
  const groups: [Severity, string][] = [
    ['error', 'Errors'],
    ['warning', 'Warnings'],
    ['info', 'Notes'],
  ];
  for (const [severity, title] of groups) {
    const findings = report.findings.filter((f) => f.severity === severity);
    if (findings.length === 0) continue;
    out.push(`## ${title} (${findings.length})`, '');
    for (const f of findings) {
      out.push(`### \`${where(f)}\` ${f.id} (${f.source})`, '', f.message, '', `**Why:** ${f.why}`, '');
      if (f.fix) out.push(`**Fix:** ${f.fix}`, '');
    }
  }
  const escalations = report.escalations ?? [];
  if (escalations.length > 0) {
    out.push(`## Questions for people (${escalations.length})`, '');
    for (const e of escalations) {
      const [first, ...rest] = e.problem.split('\n');
      out.push(`### ${e.id}`, '', first!, '', ...(rest.length ? ['```', ...rest, '```', ''] : []));
      out.push(
        ...e.options.map((o) => `- **${o.id}**: ${o.title}: ${o.summary}`),
        '',
        `**Recommended:** ${recommendation(e)}`,
        '',
      );
    }
  }
  const steps = nonTransactionalSteps(report);
  if (steps.length > 0) {
    out.push('## Non-transactional steps', '');
    for (const s of steps) out.push(`- \`${s.file}\` step ${s.step}: \`${s.sql.replace(/\s+/g, ' ')}\``);
    out.push('');
  }
  return out.join('\n');
}

function nonTransactionalSteps(report: ReviewReport): { file: string; step: string; sql: string }[] {
  return report.files.flatMap((file) =>
    file.steps
      .filter((s) => s.kind === 'non-transactional')
      .map((s) => ({ file: file.path, step: s.name, sql: s.sql })),
  );
}

function recommendation(e: Escalation): string {
  return `${e.recommendation.optionId}, because ${e.recommendation.reason}`;
}

function summary(report: ReviewReport): string {
  const { error, warning, info } = report.counts;
  const questions = report.escalations?.length
    ? `; ${report.escalations.length} question(s) for people (${report.escalations.map((e) => e.trigger).join(', ')})`
    : '';
  return `${report.files.length} file(s), ${report.files.reduce((n, f) => n + f.statements, 0)} statement(s): ${error} error(s), ${warning} warning(s), ${info} note(s)${questions}.`;
}
