import { createClient } from '@pgkit/client';
import { run as migraDiff } from '@pgkit/migra';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl } from '../store/database';
import { fingerprint, introspect, type Catalog } from './introspection';
import type { Finding } from '../artifacts/findings';
import { parseStatements } from './parse';
import { parsePgVersion, type PgVersion } from './pg-version';
import { stepsAsWritten } from './steps';

export const SHADOW_FAILED = 'SW-SHADOW-FAILED';

export interface ShadowMigration {
  name: string;
  up: string;
  down?: string;
  /** Where the up SQL came from, for the finding's location. */
  file?: string;
}

export interface CopyGap {
  statement: string;
  error: string;
}

export interface ShadowResult {
  findings: Finding[];
  /** Target objects the shadow lacks: a migration touching them may fail on the shadow only. */
  copyGaps: CopyGap[];
  /** Fingerprints of the shadow schema before the ups, after them, and after the downs. */
  fingerprints: { before: string; afterUp?: string; afterDown?: string };
  milliseconds: number;
}

type Direction = 'up' | 'down' | 'reapply';

/**
 * Verifies pending migrations on a shadow database with the target's schema, on the target's own
 * server: apply every up in order; apply every down newest first and check the schema's fingerprint
 * is back to the original; apply the ups again. Checking them together matters: a down can fail
 * only because of what a later migration's down re-created (Lemmy's apub_columns).
 *
 * The shadow is a schema-only copy made by diffing an empty database against the target (migra).
 * CREATE DATABASE ... TEMPLATE would need every other session off a live target, and pg_dump must
 * be at least the server's major version, which an installed client often is not.
 */
export async function verifyOnShadow(targetUrl: string, migrations: ShadowMigration[]): Promise<ShadowResult> {
  const started = Date.now();
  return withShadowDatabase(targetUrl, async (shadowUrl, version) => {
    const copyGaps = await copySchema(shadowUrl, targetUrl);
    const shadow = new Client({ connectionString: shadowUrl });
    await shadow.connect();
    try {
      return { ...(await verify(shadow, migrations, version)), copyGaps, milliseconds: Date.now() - started };
    } finally {
      await shadow.end();
    }
  });
}

/**
 * Runs `work` with a new, empty database on the target's own server (same version, same
 * extensions available), dropped afterwards whatever happens. Design and review both use one.
 */
export async function withShadowDatabase<T>(targetUrl: string, work: (shadowUrl: string, version: PgVersion) => Promise<T>): Promise<T> {
  const name = `sw_shadow_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: targetUrl });
  await admin.connect();
  try {
    const version = parsePgVersion((await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v);
    await admin.query(`CREATE DATABASE "${name}"`).catch((error: Error) => {
      throw new Error(`Cannot create the shadow database on the target's server: ${error.message}. Give the target's role CREATEDB (ALTER ROLE ... CREATEDB), or review without a target.`);
    });
    try {
      return await work(databaseUrl(targetUrl, name), version);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * migra's statements that make `fromUrl`'s schema equal `toUrl`'s (all schemas, or only `schema`), one string per statement
 * (migra's joined text is not always valid SQL: a domain lacks its semicolon).
 */
export async function schemaDiff(fromUrl: string, toUrl: string, schema?: string): Promise<string[]> {
  // Our own clients: migra's never end (their pools linger), and pg-promise prints a warning on
  // stdout when a second diff opens the same URL, which would corrupt `--format json` output.
  const options = { pgpOptions: { initialize: { noWarnings: true } } };
  const from = createClient(fromUrl, options);
  const to = createClient(toUrl, options);
  try {
    return [...(await migraDiff(from, to, { unsafe: true, ...(schema ? { schema } : {}) })).statements].filter((s) => s.trim() !== '');
  } catch (error) {
    // migra's messages may carry the connection strings; they must not reach logs.
    const message = String((error as Error).message).split(toUrl).join('<database>').split(fromUrl).join('<database>');
    throw new Error(`Could not read a schema to compare: ${message}. Check that the role may read the catalog.`);
  } finally {
    // pg-promise drops its pool's error listener on end, before the idle connections have closed; a
    // shadow dropped WITH (FORCE) meanwhile terminates them, and an unheard pool error ends the process.
    for (const client of [from, to]) client.pgp.$pool.on('error', () => undefined);
    await Promise.all([from.end(), to.end()]);
  }
}

/**
 * Copies the target's structure into the empty shadow database. Returns what could not be copied
 * (migra does not reproduce every object, e.g. aggregates); the verification still runs, and the
 * gaps are reported beside its result.
 */
async function copySchema(shadowUrl: string, targetUrl: string): Promise<CopyGap[]> {
  return applyInDependencyOrder(shadowUrl, await schemaDiff(shadowUrl, targetUrl));
}

/**
 * Applies migra's statements one by one, retrying what failed until a pass makes no progress:
 * migra orders by object kind, not by every dependency (a column default calling a function is
 * created before the function). Returns what still fails.
 */
export async function applyInDependencyOrder(url: string, statements: string[]): Promise<CopyGap[]> {
  const database = new Client({ connectionString: url });
  await database.connect();
  try {
    let pending = statements;
    for (;;) {
      const failed: CopyGap[] = [];
      for (const statement of pending) {
        try {
          await database.query(statement);
        } catch (error) {
          failed.push({ statement, error: (error as Error).message });
        }
      }
      if (failed.length === 0 || failed.length === pending.length) return failed;
      pending = failed.map((f) => f.statement);
    }
  } finally {
    await database.end();
  }
}

async function verify(shadow: Client, migrations: ShadowMigration[], version: PgVersion): Promise<Omit<ShadowResult, 'milliseconds' | 'copyGaps'>> {
  const read = async () => introspect(shadow, { statements: 0 });
  const original = await read();
  const fingerprints: ShadowResult['fingerprints'] = { before: fingerprint(original) };
  const applyAll = async (direction: Direction, list: ShadowMigration[]): Promise<Finding | undefined> => {
    for (const migration of list) {
      const sql = direction === 'down' ? migration.down! : migration.up;
      const failure = await apply(shadow, migration, sql, direction, version);
      if (failure) return failure;
    }
    return undefined;
  };

  const upFailure = await applyAll('up', migrations);
  if (upFailure) return { findings: [upFailure], fingerprints };
  fingerprints.afterUp = fingerprint(await read());

  const reversible = migrations.filter((m) => m.down !== undefined);
  // Without a down for every migration there is no way back to compare; SW-L-IRREVERSIBLE says so.
  if (reversible.length < migrations.length) return { findings: [], fingerprints };
  const downFailure = await applyAll('down', [...migrations].reverse());
  if (downFailure) return { findings: [downFailure], fingerprints };
  const afterDown = await read();
  fingerprints.afterDown = fingerprint(afterDown);
  const findings: Finding[] = [];
  if (fingerprints.afterDown !== fingerprints.before) {
    const last = migrations[0]!;
    const differing = differingObjects(original, afterDown);
    findings.push(
      finding(last, 'down', {
        message: `After the down migrations the schema differs from before the ups (${differing.join(', ')}).`,
        error: 'schema fingerprint differs',
        sqlstate: null,
        fix: `Make the down restore exactly what the up changed in ${differing.join(', ')}: columns in their old order and types, views with their old column lists.`,
      }),
    );
  }
  const reapplyFailure = await applyAll('reapply', migrations);
  if (reapplyFailure) findings.push(reapplyFailure);
  return { findings, fingerprints };
}

/** Applies one migration file as the runner would: transactional groups in a transaction, the rest alone. */
async function apply(shadow: Client, migration: ShadowMigration, sql: string, direction: Direction, version: PgVersion): Promise<Finding | undefined> {
  const steps = stepsAsWritten(migration.name, await parseStatements(sql, migration.file), version);
  for (const step of steps) {
    try {
      if (step.kind === 'transactional') await shadow.query(`BEGIN;\n${step.sql}\nCOMMIT;`);
      else await shadow.query(step.sql);
    } catch (error) {
      await shadow.query('ROLLBACK').catch(() => undefined);
      const pgError = error as Error & { code?: string; detail?: string };
      return finding(migration, direction, {
        message: `The ${direction === 'reapply' ? 'second up' : direction} of ${migration.name} fails on the shadow database: ${pgError.message}${pgError.code ? ` (SQLSTATE ${pgError.code})` : ''}.`,
        error: [pgError.message, pgError.detail].filter(Boolean).join('\n'),
        sqlstate: pgError.code ?? null,
        fix: direction === 'down' ? 'Fix the down so it succeeds on the schema the ups leave behind (drop dependent views first, or restore them after).' : 'Fix the statement so it applies to the target schema.',
      });
    }
  }
  return undefined;
}

function finding(
  migration: ShadowMigration,
  direction: Direction,
  details: { message: string; error: string; sqlstate: string | null; fix: string },
): Finding {
  return {
    id: SHADOW_FAILED,
    source: 'schemawright',
    severity: 'error',
    object: migration.name,
    message: details.message,
    why: 'The shadow database has the target schema: what fails there fails in production, and a broken down leaves no way back.',
    fix: details.fix,
    evidence: { direction, error: details.error, sqlstate: details.sqlstate, migration: migration.name },
    location: { file: migration.file, line: 1, column: 1 },
  };
}

/** Top-level objects whose canonical structure differs: names the tables and views to look at. */
function differingObjects(before: Catalog, after: Catalog): string[] {
  const entries = (catalog: Catalog) =>
    new Map(
      [...catalog.tables, ...catalog.views, ...catalog.sequences].map((o) => [`${o.schema}.${o.name}`, JSON.stringify(o, (k, v: unknown) => (k === 'stats' ? undefined : v))]),
    );
  const a = entries(before);
  const b = entries(after);
  const names = new Set([...a.keys(), ...b.keys()]);
  const differing = [...names].filter((n) => a.get(n) !== b.get(n)).sort();
  return differing.length > 0 ? differing : ['types, extensions or schemas'];
}
