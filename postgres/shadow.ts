import { createClient } from '@pgkit/client';
import { run as migraDiff } from '@pgkit/migra';
import { Client } from 'pg';
import { readEnvironment, type Environment } from '../config/environment';
import { requireSandboxApartFrom, withSandboxDatabase } from '../stack/shadow-server';
import { fingerprint, introspect, type Catalog } from './introspection';
import type { Finding, SourceLocation } from '../artifacts/findings';
import { downPathOf } from '../artifacts/migration-files';
import { parseStatements, type ParsedStatement } from './parse';
import { qualifiedBySkips, skippedFindings, withoutPrivileged, type SkippedStatement } from './privileged/shadow-skip';
import { parsePgVersion, type PgVersion } from './pg-version';
import { differingObjects } from './shadow-copy';
import { copyTargetSchemaWarm } from './shadow-template';
import { statementGroups } from './steps';

export const SHADOW_FAILED = 'SW-SHADOW-FAILED';

export interface ShadowMigration {
  name: string;
  up: string;
  down?: string;
  /** Where the up SQL came from, for the finding's location. */
  file?: string;
  /** Its tool runs the up outside a transaction: each statement alone, as the runner applies it. */
  upOutsideTransaction?: boolean;
}

export interface ShadowResult {
  findings: Finding[];
  /** What the copy of the target could not reproduce (SW-SHADOW-COPY-GAP), one finding per object. */
  copyGaps: Finding[];
  /** Privileged statements the shadow did not run (SW-ESC-PRIVILEGED asks about them); each is also a finding. */
  skipped: SkippedStatement[];
  /** `template`: the target's schema came from the warm template of an earlier review (postgres/shadow-template.ts). */
  copiedFrom: 'target' | 'template';
  /** Fingerprints of the shadow schema before the ups, after them, and after the downs. */
  fingerprints: { before: string; afterUp?: string; afterDown?: string };
  milliseconds: number;
}

type Direction = 'up' | 'down' | 'reapply';

/**
 * Verifies pending migrations on a shadow database with the target's schema, in the sandbox (never
 * on the target's server): apply every up in order; apply every down newest first and check the
 * schema's fingerprint is back to the original; apply the ups again. Checking them together matters:
 * a down can fail only because of what a later migration's down re-created (Lemmy's apub_columns).
 * The requested SQL runs as the sandbox role; the target is only read (its reader suffices).
 */
export async function verifyOnShadow(
  targetUrl: string,
  written: ShadowMigration[],
  env: Environment = readEnvironment(),
  /** The target's catalog as reviewed (analysis's): its warm template is cloned without reading the target again. */
  reviewed?: Catalog,
): Promise<ShadowResult> {
  const started = Date.now();
  // Before anything runs: statements that need rights beyond the database are a question, never an experiment.
  const { migrations, skipped } = await withoutPrivileged(written);
  requireSandboxApartFrom(targetUrl, env);
  return withSandboxDatabase(async (sandbox) => {
    const copy = await copyTargetSchemaWarm(targetUrl, sandbox, reviewed);
    const shadow = sandboxClient(sandbox.url, env);
    await shadow.connect();
    try {
      const verified = await verify(shadow, migrations, copy.version);
      const findings = [...skippedFindings(skipped), ...qualifiedBySkips(verified.findings, skipped)];
      return {
        ...verified,
        findings,
        copyGaps: copy.gaps,
        copiedFrom: copy.from,
        skipped,
        milliseconds: Date.now() - started,
      };
    } finally {
      await shadow.end().catch(() => undefined);
    }
  }, env);
}

/**
 * Runs `work` with a new, empty sandbox database (the target's version is read, so steps split as
 * on the target), dropped afterwards whatever happens. Design uses one to load a design's DDL.
 */
export async function withShadowDatabase<T>(
  targetUrl: string,
  work: (shadowUrl: string, version: PgVersion) => Promise<T>,
  env: Environment = readEnvironment(),
): Promise<T> {
  requireSandboxApartFrom(targetUrl, env);
  const target = new Client({ connectionString: targetUrl, application_name: 'schemawright-shadow' });
  await target.connect();
  let version: PgVersion;
  try {
    version = parsePgVersion(
      (await target.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v,
    );
  } finally {
    await target.end();
  }
  return withSandboxDatabase((sandbox) => work(sandbox.url, version), env);
}

/**
 * The sandbox role's connection. Its statement_timeout is the role's default, which requested SQL
 * may SET away: the client's own timeout ends the wait, and dropping the database ends the backend.
 */
function sandboxClient(url: string, env: Environment): Client {
  const client = new Client({
    connectionString: url,
    application_name: 'schemawright-shadow',
    query_timeout: (env.shadow.statementTimeoutSeconds + 30) * 1000,
  });
  // A server that dies also rejects the running query, which the sandbox handles; unheard, this event would end the worker.
  client.on('error', () => undefined);
  return client;
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
    return [...(await migraDiff(from, to, { unsafe: true, ...(schema ? { schema } : {}) })).statements].filter(
      (s) => s.trim() !== '',
    );
  } catch (error) {
    // migra's messages may carry the connection strings; they must not reach logs.
    const message = String((error as Error).message)
      .split(toUrl)
      .join('<database>')
      .split(fromUrl)
      .join('<database>');
    throw new Error(`Could not read a schema to compare: ${message}. Check that the role may read the catalog.`);
  } finally {
    // pg-promise drops its pool's error listener on end, before the idle connections have closed; a
    // shadow dropped WITH (FORCE) meanwhile terminates them, and an unheard pool error ends the process.
    for (const client of [from, to]) client.pgp.$pool.on('error', () => undefined);
    await Promise.all([from.end(), to.end()]);
    forgetDatabases(from.pgp, to.pgp);
  }
}

/**
 * pg-promise keeps every database object it made in a registry of its own (for its duplicate
 * warning and its shutDown), ended or not: two per diff, which a worker reviewing for months would
 * hold for ever. The ended ones are taken out.
 */
function forgetDatabases(...ended: object[]): void {
  const registry = (globalThis as Record<symbol, { dbs?: object[] } | undefined>)[Symbol.for('pgPromiseDatabasePool')];
  for (const db of ended) {
    const at = registry?.dbs?.indexOf(db) ?? -1;
    if (at >= 0) registry!.dbs!.splice(at, 1);
  }
}

/**
 * Applies migra's statements one by one, retrying what failed until a pass makes no progress:
 * migra orders by object kind, not by every dependency (a column default calling a function is
 * created before the function). Returns what still fails.
 */
export async function applyInDependencyOrder(
  url: string,
  statements: string[],
): Promise<{ statement: string; error: string }[]> {
  const database = new Client({ connectionString: url });
  await database.connect();
  try {
    let pending = statements;
    for (;;) {
      const failed: { statement: string; error: string }[] = [];
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

async function verify(
  shadow: Client,
  migrations: ShadowMigration[],
  version: PgVersion,
): Promise<Omit<ShadowResult, 'milliseconds' | 'copyGaps' | 'copiedFrom' | 'skipped'>> {
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
    if (differing.length === 0) differing.push('the schema');
    findings.push(
      finding(
        last,
        'down',
        { file: last.file && downPathOf(last.file), line: 1, column: 1 },
        {
          message: `After the down migrations the schema differs from before the ups (${differing.join(', ')}).`,
          error: 'schema fingerprint differs',
          sqlstate: null,
          fix: `Make the down restore exactly what the up changed in ${differing.join(', ')}: columns in their old order and types, views with their old column lists.`,
        },
      ),
    );
  }
  const reapplyFailure = await applyAll('reapply', migrations);
  if (reapplyFailure) findings.push(reapplyFailure);
  return { findings, fingerprints };
}

/**
 * Applies one migration file as the runner would: transactional groups in a transaction, the rest
 * alone. Statements go one by one, so a failure names its statement's line (and, where PostgreSQL
 * gives a position, the column within it).
 */
async function apply(
  shadow: Client,
  migration: ShadowMigration,
  sql: string,
  direction: Direction,
  version: PgVersion,
): Promise<Finding | undefined> {
  const file = direction === 'down' && migration.file ? downPathOf(migration.file) : migration.file;
  const outsideTransaction = direction !== 'down' && migration.upOutsideTransaction;
  for (const group of statementGroups(await parseStatements(sql, file), version, outsideTransaction)) {
    let current = group.statements[0]!;
    try {
      if (group.transactional) {
        await shadow.query('BEGIN');
        for (const statement of group.statements) {
          current = statement;
          await shadow.query(statement.sql);
        }
        await shadow.query('COMMIT');
      } else await shadow.query(current.sql);
    } catch (error) {
      const pgError = error as Error & { code?: string; detail?: string; position?: string };
      // A lost connection is the shadow's failure, not the migration's: the sandbox retries on a live server.
      if (!pgError.code || /^(08|57P0)/.test(pgError.code)) throw error;
      await shadow.query('ROLLBACK').catch(() => undefined);
      return finding(migration, direction, errorLocation(current, pgError.position), {
        message: `The ${direction === 'reapply' ? 'second up' : direction} of ${migration.name} fails on the shadow database: ${pgError.message}${pgError.code ? ` (SQLSTATE ${pgError.code})` : ''}.`,
        error: [pgError.message, pgError.detail].filter(Boolean).join('\n'),
        sqlstate: pgError.code ?? null,
        fix:
          direction === 'down'
            ? 'Fix the down so it succeeds on the schema the ups leave behind (drop dependent views first, or restore them after).'
            : 'Fix the statement so it applies to the target schema.',
      });
    }
  }
  return undefined;
}

/** Where in the file an error is: the statement's start, moved to PostgreSQL's 1-based character position in it when there is one. */
function errorLocation(statement: ParsedStatement, position: string | undefined): SourceLocation {
  const { file, line, column } = statement.location;
  const offset = Number(position) - 1;
  if (!position || !(offset >= 0)) return { file, line, column };
  const before = statement.sql.slice(0, offset).split('\n');
  return {
    file,
    line: line + before.length - 1,
    column: before.length === 1 ? column + offset : before.at(-1)!.length + 1,
  };
}

function finding(
  migration: ShadowMigration,
  direction: Direction,
  location: SourceLocation,
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
    location,
  };
}
