import type { Finding } from '../../artifacts/findings';
import { ANALYSIS_FINDING_KINDS } from './findings';
import type { MigrationFile } from '../../artifacts/migration-files';

/** Finding kinds whose `fix` is a migration that removes the finding (their examples prove it), not advice. */
const MECHANICAL_FIXES = new Set(
  ANALYSIS_FINDING_KINDS.filter((kind) => kind.examples.some((example) => example.fixResolves)).map((kind) => kind.id),
);

/**
 * A `review` request's proposal: the fixes of the findings that have a mechanical one, as one file.
 * Findings that share a fix (the timestamp columns of one table, changed by one ALTER) get it once,
 * under all their comments, so no table is altered twice.
 */
export function fixFileOf(findings: Finding[], requestId: string): MigrationFile {
  const byFix = new Map<string, Finding[]>();
  for (const finding of findings.filter((f) => f.fix && MECHANICAL_FIXES.has(f.id))) {
    const fix = finding.fix!.trim();
    byFix.set(fix, [...(byFix.get(fix) ?? []), finding]);
  }
  const up = [...byFix]
    .map(
      ([fix, sharing]) =>
        `${sharing.map((f) => `-- ${f.id} ${f.object ?? ''}: ${f.message.replace(/\n/g, ' ')}\n`).join('')}${fix}\n`,
    )
    .join('\n');
  return { path: `${requestId}_fixes.sql`, up };
}
