import { Client } from 'pg';
import type { Migration } from '../migration';
import { readHistory, stepChecksum } from './history';
import type { ApplyTarget } from './index';

/**
 * After apply, from the target's own records: every step of the migration is recorded applied with
 * the checksum of the SQL that was approved, and no index on the target was left INVALID. Returns
 * what is wrong, or nothing.
 */
export async function verifyApplied(target: ApplyTarget, migration: Migration): Promise<string[]> {
  const client = new Client({ connectionString: target.connectionString, application_name: 'schemawright-verify' });
  await client.connect();
  try {
    const history = new Map((await readHistory(client, migration.version)).map((row) => [row.step, row]));
    const problems: string[] = [];
    for (const step of migration.steps) {
      const row = history.get(step.name);
      if (row?.status !== 'applied') problems.push(`step ${step.name} of migration ${migration.version} is ${row ? row.status : 'not recorded'} in the target's history`);
      else if (row.checksum !== stepChecksum(step.sql)) problems.push(`step ${step.name} of migration ${migration.version} was applied with checksum ${row.checksum}, not the approved ${stepChecksum(step.sql)}`);
    }
    const invalid = await client.query<{ name: string }>(
      `SELECT n.nspname || '.' || c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid ORDER BY 1`,
    );
    for (const { name } of invalid.rows) problems.push(`index ${name} is INVALID: rebuild it (REINDEX INDEX CONCURRENTLY ${name})`);
    return problems;
  } finally {
    await client.end();
  }
}
