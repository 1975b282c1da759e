import { posix } from 'node:path';
import type { Escalation } from '../../artifacts/escalation';
import type { Finding, Severity } from '../../artifacts/findings';
import { escalationTriggers } from './escalations';
import { privileged } from './escalations/SW-ESC-PRIVILEGED';
import { SQUAWK_RULES } from './lint/squawk-rules';
import { lockBlocking } from './locks/engine';
import type { ReviewReport } from './review';
import { lintRules } from './rules';

/**
 * The review report for CI: SARIF 2.1.0 (code scanning) and GitHub Actions workflow commands (annotations).
 * Finding paths are relative to the reviewed directory; `base` (that directory, as the user gave it) makes
 * them relative to where the command ran, which is what CI tools resolve against.
 */
export interface CiReportOptions {
  base?: string;
}

/** One result, whatever raised it: a finding or an escalation. */
interface CiResult {
  ruleId: string;
  severity: Severity;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** What the rule is about and what to do, when the catalogue has no entry for the id. */
  explanation: string;
  remedy?: string;
}

/** Every id a review can report, with what goes wrong and what to do (as docs/rules.md shows them). */
const CATALOGUE = new Map<string, { explanation: string; remedy: string }>([
  ...lintRules.map((r) => [r.id, r] as const),
  ...SQUAWK_RULES.map((r) => [r.id, { explanation: r.problem, remedy: r.remedy }] as const),
  [lockBlocking.id, lockBlocking] as const,
  ...escalationTriggers.map((t) => [t.id, t] as const),
]);

function results(report: ReviewReport, options: CiReportOptions): CiResult[] {
  // A dbmate file's down section is reported as `<file> (down)`: the annotation belongs to the file itself.
  const path = (file: string) => posix.join(options.base ?? '', file.replace(/ \(down\)$/, ''));
  const fromFinding = (f: Finding): CiResult => ({
    ruleId: f.id,
    severity: f.severity,
    message: f.message,
    ...(f.location?.file ? { file: path(f.location.file) } : {}),
    ...(f.location ? { line: f.location.line, column: f.location.column } : {}),
    explanation: f.why,
    remedy: f.fix,
  });
  const fromEscalation = (e: Escalation): CiResult => {
    // An escalation is about steps, not a position: it points at the file holding its first step.
    const file = report.files.find((rf) => rf.steps.some((s) => e.steps.includes(s.name)))?.path;
    return {
      ruleId: e.trigger,
      severity: e.trigger === privileged.id ? 'error' : 'warning',
      message: `${e.problem} (a question for people: ${e.id})`,
      ...(file ? { file: path(file) } : {}),
      explanation: e.task,
    };
  };
  return [...report.findings.map(fromFinding), ...(report.escalations ?? []).map(fromEscalation)];
}

const SARIF_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };

export function renderSarif(report: ReviewReport, options: CiReportOptions = {}): string {
  const all = results(report, options);
  const ruleIds = [...new Set(all.map((r) => r.ruleId))];
  const rules = ruleIds.map((id) => {
    const first = all.find((r) => r.ruleId === id)!;
    const entry = CATALOGUE.get(id) ?? { explanation: first.explanation, remedy: first.remedy };
    return {
      id,
      shortDescription: { text: entry.explanation },
      ...(entry.remedy ? { help: { text: entry.remedy } } : {}),
    };
  });
  const sarif = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: { driver: { name: 'schemawright', rules } },
        results: all.map((r) => ({
          ruleId: r.ruleId,
          ruleIndex: ruleIds.indexOf(r.ruleId),
          level: SARIF_LEVEL[r.severity],
          message: { text: r.message },
          locations: r.file
            ? [
                {
                  physicalLocation: {
                    artifactLocation: { uri: r.file },
                    ...(r.line ? { region: { startLine: r.line, startColumn: r.column } } : {}),
                  },
                },
              ]
            : [],
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2);
}

const GITHUB_COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/** GitHub's escaping of a workflow command's message (toolkit's escapeData). */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
/** ... and of its properties (toolkit's escapeProperty), where `:` and `,` are separators. */
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function renderGithub(report: ReviewReport, options: CiReportOptions = {}): string {
  return results(report, options)
    .map((r) => {
      const properties = [
        ...(r.file ? [`file=${escapeProperty(r.file)}`] : []),
        ...(r.line ? [`line=${r.line}`, `col=${r.column}`] : []),
        `title=${escapeProperty(r.ruleId)}`,
      ];
      return `::${GITHUB_COMMAND[r.severity]} ${properties.join(',')}::${escapeData(r.message)}`;
    })
    .join('\n');
}
