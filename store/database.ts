import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool, type ClientBase } from 'pg';
import { quoteIdent } from '../postgres/names';

const MIGRATIONS_DIR = join(__dirname, 'migrations');
/** Serializes store migrations when several processes (workers, web) start at once. */
const MIGRATION_LOCK_KEY = 0x5357_0001;

export function createStorePool(databaseUrl: string, applicationName = 'schemawright'): Pool {
  const pool = new Pool({ connectionString: databaseUrl, application_name: applicationName, max: 10 });
  // An idle connection dropped by the server (restart, shutdown) must not crash the process; the
  // pool opens a new one for the next query.
  pool.on('error', (error) => process.stderr.write(`store: idle connection lost: ${error.message}\n`));
  return pool;
}

/** The URL of database `name` on the same server as `url`. */
export function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

/** Creates database `name` on the server of `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created by a concurrent start
      });
    }
  } finally {
    await client.end();
  }
  return databaseUrl(adminUrl, name);
}

/** Applies the store's numbered SQL migrations that have not run yet, each in its own transaction. */
export async function migrateStore(pool: Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    return await migrateWith(client);
  } finally {
    client.release();
  }
}

/** migrateStore on one connection: `store setup` runs it as the owner role (SET ROLE). */
export async function migrateWith(client: ClientBase): Promise<string[]> {
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    // Created only when missing: the application role, which may not create, reads it to find nothing pending.
    const { rows: exists } = await client.query<{ table: string | null }>(
      "SELECT to_regclass('store_migrations')::text AS table",
    );
    if (!exists[0].table)
      await client.query(
        'CREATE TABLE store_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM store_migrations')).rows.map((r) => r.name),
    );
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    for (const file of files.filter((f) => !done.has(f))) {
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
        await client.query('INSERT INTO store_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
        applied.push(file);
      } catch (error) {
        await client.query('ROLLBACK');
        const denied = (error as { code?: string }).code === '42501';
        throw new Error(
          `Store migration ${file} failed: ${(error as Error).message}${denied ? '. DATABASE_URL connects as a role that may not change the store: run `schemawright store setup --owner-url <administrator URL>` once to apply it' : ''}`,
        );
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
  return applied;
}
