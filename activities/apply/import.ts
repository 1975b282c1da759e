import type { Migration } from '../../artifacts/migration';
import { readMigrationFiles } from '../../artifacts/migration-files';
import { DEFAULT_PG_VERSION, type PgVersion } from '../../postgres/pg-version';
import { migrationsFromFiles } from '../../postgres/steps';
import { withTarget } from '../../postgres/target';
import { MigrationChecksumError } from './errors';
import { HISTORY_TABLE, readHistory, stepChecksum } from './history';

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
export function compareWithHistory(target: string, migrations: Migration[]): Promise<HistoryComparison> {
  return withTarget(
    target,
    async (client) => {
      const exists = (await client.query<{ t: string | null }>(`SELECT to_regclass('${HISTORY_TABLE}')::text AS t`))
        .rows[0].t;
      const rows = exists ? await readHistory(client) : [];
      const recorded = new Map(
        rows.filter((r) => r.status === 'applied').map((r) => [`${r.version}\u0000${r.step}`, r.checksum]),
      );
      const comparison: HistoryComparison = { applied: [], pending: [], edited: [] };
      for (const migration of migrations) {
        let pending = false;
        for (const step of migration.steps) {
          const checksum = recorded.get(`${migration.version}\u0000${step.name}`);
          const current = stepChecksum(step.sql);
          if (checksum === undefined || (checksum !== current && migration.repeatable)) pending = true;
          else if (checksum !== current)
            comparison.edited.push({
              file: migration.source ?? migration.name,
              version: migration.version,
              step: step.name,
              recorded: checksum,
              current,
            });
        }
        if (pending) comparison.pending.push(migration.version);
        else if (!comparison.edited.some((e) => e.version === migration.version))
          comparison.applied.push(migration.version);
      }
      return comparison;
    },
    { applicationName: 'schemawright-import' },
  );
}

/**
 * A directory's migrations the target's history does not hold yet: review, shadow and approval are
 * about those. An applied file that was edited since stops the request here, before anyone is asked.
 */
export async function pendingOnTarget(target: string, migrations: Migration[]): Promise<Migration[]> {
  const history = await compareWithHistory(target, migrations);
  const [edited] = history.edited;
  if (edited)
    throw new MigrationChecksumError(edited.version, edited.step, edited.recorded, edited.current, edited.file);
  return migrations.filter((migration) => history.pending.includes(migration.version));
}
