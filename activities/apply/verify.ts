import type { Migration } from '../../artifacts/migration';
import { body } from '../../postgres/ast';
import type { ClientBase } from 'pg';
import { parseStatements } from '../../postgres/parse';
import { withTarget } from '../../postgres/target';
import { readHistory, stepChecksum } from './history';
import type { ApplyTarget } from './index';

/**
 * After apply, from the target's own records: every step of the migration is recorded applied with
 * the checksum of the SQL that was approved, and no index it builds was left INVALID. Returns what
 * is wrong, or nothing.
 */
export function verifyApplied(target: ApplyTarget, migration: Migration): Promise<string[]> {
  return withTarget(target.connectionString, (client) => verifyAppliedOn(client, migration), {
    applicationName: 'schemawright-verify',
    name: target.name,
  });
}

/** verifyApplied on a connection the caller holds (the runner's session, still under the apply lock). */
export async function verifyAppliedOn(client: ClientBase, migration: Migration): Promise<string[]> {
  const history = new Map((await readHistory(client, migration.version)).map((row) => [row.step, row]));
  const problems: string[] = [];
  for (const step of migration.steps) {
    const row = history.get(step.name);
    if (row?.status !== 'applied')
      problems.push(
        `step ${step.name} of migration ${migration.version} is ${row ? row.status : 'not recorded'} in the target's history`,
      );
    else if (row.checksum !== stepChecksum(step.sql))
      problems.push(
        `step ${step.name} of migration ${migration.version} was applied with checksum ${row.checksum}, not the approved ${stepChecksum(step.sql)}`,
      );
  }
  // Only the indexes this migration builds: another's broken index, or one still building, is not ours to judge.
  const built = (await Promise.all(migration.steps.map((step) => parseStatements(step.sql))))
    .flat()
    .filter((s) => s.kind === 'IndexStmt')
    .map((s) => body(s).idxname)
    .filter((name): name is string => typeof name === 'string');
  const invalid = await client.query<{ name: string }>(
    `SELECT i.indexrelid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE NOT i.indisvalid AND c.relname = ANY($1) ORDER BY 1`,
    [built],
  );
  for (const { name } of invalid.rows)
    problems.push(`index ${name} is INVALID: rebuild it (REINDEX INDEX CONCURRENTLY ${name})`);
  return problems;
}
