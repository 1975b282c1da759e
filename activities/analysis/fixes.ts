import type { Finding } from '../../artifacts/findings';
import { ANALYSIS_FINDING_KINDS } from './findings';
import type { MigrationFile } from '../../artifacts/migration-files';

/** Finding kinds whose `fix` is a migration that removes the finding (their examples prove it), not advice. */
const MECHANICAL_FIXES = new Set(
  ANALYSIS_FINDING_KINDS.filter((kind) => kind.examples.some((example) => example.fixResolves)).map((kind) => kind.id),
);

/** A `review` request's proposal: the fixes of the findings that have a mechanical one, as one file. */
export function fixFileOf(findings: Finding[], requestId: string): MigrationFile {
  const fixes = findings.filter((finding) => finding.fix && MECHANICAL_FIXES.has(finding.id));
  const up = fixes
    .map(
      (finding) =>
        `-- ${finding.id} ${finding.object ?? ''}: ${finding.message.replace(/\n/g, ' ')}\n${finding.fix!.trim()}\n`,
    )
    .join('\n');
  return { path: `${requestId}_fixes.sql`, up };
}
