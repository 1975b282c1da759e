import { parseStatements } from '../../../postgres/parse';
import { DEFAULT_PG_VERSION, parsePgVersion } from '../../../postgres/pg-version';
import { stepsAsWritten } from '../../../postgres/steps';
import type { EscalationContext, TriggerExample } from './trigger';

// For tests only: a trigger example turned into the context a review would give the trigger.

/** The context of an example: its SQL cut into steps as the review would. */
export async function exampleContext(example: TriggerExample): Promise<EscalationContext> {
  const pgVersion = example.pgVersion ? parsePgVersion(example.pgVersion) : DEFAULT_PG_VERSION;
  const statements = await parseStatements(example.sql ?? '', '0001_change.sql');
  return {
    task: 'example',
    migration: { version: '0001', name: '0001_change', steps: stepsAsWritten('0001_change', statements, pgVersion) },
    tableSizes: example.tableSizes ?? {},
    catalog: example.catalog,
    analysisFindings: example.analysisFindings ?? [],
    modelingFindings: example.modelingFindings ?? [],
    pgVersion,
    applyRole: example.applyRole,
  };
}
