import type { Finding } from '../../../artifacts/findings';
import type { ParsedStatement } from '../../../postgres/parse';
import { concurrentIndexPg14 } from './SW-L-CONCURRENT-INDEX-PG14';
import { downFails } from './SW-L-DOWN-FAILS';
import { exclusionConstraint } from './SW-L-EXCLUSION-CONSTRAINT';
import { fkWithoutIndex } from './SW-L-FK-NO-INDEX';
import { irreversible } from './SW-L-IRREVERSIBLE';
import { json } from './SW-L-JSON';
import { privileged } from './SW-L-PRIVILEGED';
import { refreshNotConcurrent } from './SW-L-REFRESH-NOT-CONCURRENT';
import { renameEnumValue } from './SW-L-RENAME-ENUM-VALUE';
import { renameSchema } from './SW-L-RENAME-SCHEMA';
import { unboundedUpdate } from './SW-L-UNBOUNDED-UPDATE';
import { undefinedType } from './SW-L-UNDEFINED-TYPE';
import type { LintRule, RuleContext } from './rule';

/** Our rules: adding one means adding its file and one line here. */
export const lintRules: readonly LintRule[] = [
  unboundedUpdate,
  refreshNotConcurrent,
  json,
  renameEnumValue,
  renameSchema,
  exclusionConstraint,
  concurrentIndexPg14,
  downFails,
  irreversible,
  privileged,
  fkWithoutIndex,
  undefinedType,
];

/** Runs rules over a parsed up migration; each violation becomes a Finding at its statement. */
export function runRules(
  statements: ParsedStatement[],
  context: RuleContext,
  rules: readonly LintRule[] = lintRules,
): Finding[] {
  return rules.flatMap((rule) =>
    rule.check(statements, context).map((violation) => ({
      id: rule.id,
      source: 'schemawright',
      severity: rule.severity,
      object: violation.object,
      message: violation.message,
      why: rule.explanation,
      fix: violation.fix,
      ...(violation.evidence ? { evidence: violation.evidence } : {}),
      location: violation.statement.location,
    })),
  );
}
