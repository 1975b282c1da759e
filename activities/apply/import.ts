import { Client } from 'pg';
import type { Migration, MigrationStep } from '../../artifacts/migration';
import { migrationName, migrationVersion, readMigrationFiles } from '../../artifacts/migration-files';
import { body } from '../../postgres/ast';
import { parseStatements, type ParsedStatement } from '../../postgres/parse';
import { DEFAULT_PG_VERSION, type PgVersion } from '../../postgres/pg-version';
import type { MigrationFile } from '../review/review';
import { stepsAsWritten } from '../../postgres/steps';
import { HISTORY_TABLE, readHistory, stepChecksum } from './history';

/**
 * A file's own BEGIN / COMMIT: the runner gives each transactional step its transaction (with its
 * history row in it), and a COMMIT inside would end that early. Files that COMMIT before a
 * CONCURRENTLY statement and BEGIN after it get the same cut from the steps as written.
 */
function ownTransactionControl(statement: ParsedStatement): boolean {
  return statement.kind === 'TransactionStmt' && ['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT'].includes(String(body(statement).kind));
}

/** SQL cut into the steps the runner applies: a CONCURRENTLY statement becomes a non-transactional step of its own. */
export async function stepsOfSql(name: string, sql: string, pgVersion: PgVersion, file?: string): Promise<MigrationStep[]> {
  return stepsAsWritten(name, (await parseStatements(sql, file)).filter((s) => !ownTransactionControl(s)), pgVersion);
}

/**
 * Migration files as the runner applies them: each file one migration, cut into steps as written,
 * its down kept whole (revertMigrations cuts it the same way when it runs).
 */
export async function migrationsFromFiles(files: MigrationFile[], pgVersion: PgVersion = DEFAULT_PG_VERSION): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of files) {
    const name = migrationName(file.path);
    migrations.push({
      version: migrationVersion(file.path),
      name,
      steps: await stepsOfSql(name, file.up, pgVersion, file.path),
      up: file.up,
      ...(file.down !== undefined ? { down: file.down } : {}),
      ...(/^R__/.test(name) ? { repeatable: true } : {}),
      source: file.path,
    });
  }
  const seen = new Map<string, string>();
  for (const migration of migrations) {
    const other = seen.get(migration.version);
    if (other) throw new Error(`${other} and ${migration.source} have the same version ${migration.version}: give each migration its own version.`);
    seen.set(migration.version, migration.source as string);
  }
  return migrations;
}

/** A migration directory (golang-migrate, dbmate, Flyway, diesel) or file, in apply order. */
export async function importMigrations(path: string, pgVersion: PgVersion = DEFAULT_PG_VERSION): Promise<Migration[]> {
  return migrationsFromFiles(readMigrationFiles(path), pgVersion);
}

export interface EditedMigration {
  file: string;
  version: string;
  step: string;
  recorded: string;
  current: string;
}

export interface HistoryComparison {
  /** Versions whose every step is recorded applied with the same checksum. */
  applied: string[];
  /** Versions with steps still to apply (repeatables that changed count here). */
  pending: string[];
  /** Applied steps whose file has changed since: reported, never re-run. */
  edited: EditedMigration[];
}

/** What of `migrations` the target's history holds, and which applied files were edited since. */
export async function compareWithHistory(connectionString: string, migrations: Migration[]): Promise<HistoryComparison> {
  const client = new Client({ connectionString, application_name: 'schemawright-import' });
  await client.connect();
  try {
    const exists = (await client.query<{ t: string | null }>(`SELECT to_regclass('${HISTORY_TABLE}')::text AS t`)).rows[0].t;
    const rows = exists ? await readHistory(client) : [];
    const recorded = new Map(rows.filter((r) => r.status === 'applied').map((r) => [`${r.version}\u0000${r.step}`, r.checksum]));
    const comparison: HistoryComparison = { applied: [], pending: [], edited: [] };
    for (const migration of migrations) {
      let pending = false;
      for (const step of migration.steps) {
        const checksum = recorded.get(`${migration.version}\u0000${step.name}`);
        const current = stepChecksum(step.sql);
        if (checksum === undefined || (checksum !== current && migration.repeatable)) pending = true;
        else if (checksum !== current) comparison.edited.push({ file: migration.source ?? migration.name, version: migration.version, step: step.name, recorded: checksum, current });
      }
      if (pending) comparison.pending.push(migration.version);
      else if (!comparison.edited.some((e) => e.version === migration.version)) comparison.applied.push(migration.version);
    }
    return comparison;
  } finally {
    await client.end();
  }
}
