import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ConfigError, readEnvironment, type Environment } from '../config/environment';
import { databaseUrl } from '../store/database';
import { freePort } from './ports';
import { stopBeforeExit } from './process-cleanup';
import { startEmbeddedPostgres, type RunningPostgres } from './postgres';
import { waitFor } from './wait';

/**
 * The sandbox where requested SQL is tried before anyone approved it: a PostgreSQL that is neither a
 * target's server nor the store's. By default each worker process starts its own embedded server on
 * first use (data in a temp directory, gone with the process); SCHEMAWRIGHT_SHADOW_URL names a
 * disposable server instead. Every use gets a fresh database owned by a fresh role with no
 * SUPERUSER, CREATEDB or CREATEROLE, no predefined roles, and a statement_timeout; both are dropped
 * afterwards.
 */
export interface SandboxDatabase {
  /** The sandbox role's URL of the fresh database: what requested SQL runs as. */
  url: string;
  /** The server's administrative URL of the same database, for setup the sandbox role may not do (untrusted extensions). */
  adminUrl: string;
  role: string;
}

interface ShadowServer {
  adminUrl: string;
  /** Ours to replace when it dies; absent for SCHEMAWRIGHT_SHADOW_URL. */
  own?: RunningPostgres & { root: string };
}

let current: Promise<ShadowServer> | undefined;

async function startOwnServer(): Promise<ShadowServer> {
  const root = mkdtempSync(join(tmpdir(), 'schemawright-shadow-'));
  chmodSync(root, 0o755); // PostgreSQL runs as the postgres account when we are root
  const server = await startEmbeddedPostgres({
    dataDir: join(root, 'data'),
    port: await freePort(),
    persistent: false,
    throwaway: true,
    logFile: join(root, 'postgres.log'),
  });
  // It must neither keep a finished process alive nor outlive one that ends without stopping it.
  server.child.process.unref();
  process.once('exit', () => {
    server.child.process.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  stopBeforeExit(stopShadowServer);
  // Only each sandbox database's own role may connect to it; nobody else to the maintenance databases.
  const admin = new Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    await admin.query('REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC');
  } finally {
    await admin.end();
  }
  return { adminUrl: server.adminUrl, own: Object.assign(server, { root }) };
}

function shadowServer(env: Environment): Promise<ShadowServer> {
  current ??= (env.shadow.url ? Promise.resolve({ adminUrl: env.shadow.url }) : startOwnServer()).catch(
    (error: Error) => {
      current = undefined;
      throw new Error(
        `The shadow server could not be started: ${error.message}. Set SCHEMAWRIGHT_SHADOW_URL to a disposable PostgreSQL to use one you run.`,
      );
    },
  );
  return current;
}

/** The embedded shadow server this process started, if any (tests kill it to prove a review survives). */
export async function runningShadowServer(): Promise<RunningPostgres | undefined> {
  return current ? (await current.catch(() => undefined))?.own : undefined;
}

/** Stops the shadow server this process started (the next use starts another). */
export async function stopShadowServer(): Promise<void> {
  const server = await current?.catch(() => undefined);
  current = undefined;
  if (server?.own) {
    await server.own.stop();
    rmSync(server.own.root, { recursive: true, force: true });
  }
}

async function reachable(adminUrl: string): Promise<boolean> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createSandbox(adminUrl: string, statementTimeoutSeconds: number): Promise<SandboxDatabase> {
  const name = `sw_shadow_${randomBytes(6).toString('hex')}`;
  const password = randomBytes(18).toString('hex');
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin
      .query(
        `CREATE ROLE ${name} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
      )
      .catch((error: Error) => {
        throw new Error(
          `Cannot create the sandbox role on the shadow server: ${error.message}. The role of SCHEMAWRIGHT_SHADOW_URL needs CREATEROLE and CREATEDB (a superuser to copy untrusted extensions).`,
        );
      });
    await admin.query(`ALTER ROLE ${name} SET statement_timeout = '${statementTimeoutSeconds}s'`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${name}`);
    await admin.query(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`);
  } finally {
    await admin.end();
  }
  const url = new URL(databaseUrl(adminUrl, name));
  url.username = name;
  url.password = password;
  return { url: url.toString(), adminUrl: databaseUrl(adminUrl, name), role: name };
}

async function dropSandbox(adminUrl: string, sandbox: SandboxDatabase): Promise<void> {
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${sandbox.role} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${sandbox.role}`);
  } finally {
    await admin.end();
  }
}

const serverOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}`;
};

/** Refuses a SCHEMAWRIGHT_SHADOW_URL on the target's server or the store's: requested SQL must never run there. */
export function requireSandboxApartFrom(targetUrl: string, env: Environment = readEnvironment()): void {
  if (!env.shadow.url) return;
  const shadow = serverOf(env.shadow.url);
  const clash = [
    { what: "the target's server", url: targetUrl },
    { what: "the project store's server (DATABASE_URL)", url: env.postgres.databaseUrl },
  ].find(({ url }) => url && serverOf(url) === shadow);
  if (clash) {
    throw new ConfigError(
      `SCHEMAWRIGHT_SHADOW_URL points at ${clash.what} (${shadow}): requested SQL would run there before approval. Point it at a disposable server of its own, or unset it to let each worker run one.`,
    );
  }
}

/**
 * Runs `work` with a fresh sandbox database, dropped afterwards whatever happens. When the shadow
 * server died meanwhile (a crash, an out-of-memory kill), ours is replaced, an external one is waited
 * for, and `work` runs once more from the start.
 */
export async function withSandboxDatabase<T>(
  work: (sandbox: SandboxDatabase) => Promise<T>,
  env: Environment = readEnvironment(),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const pending = shadowServer(env);
    const server = await pending;
    let sandbox: SandboxDatabase | undefined;
    try {
      sandbox = await createSandbox(server.adminUrl, env.shadow.statementTimeoutSeconds);
      return await work(sandbox);
    } catch (error) {
      if (attempt > 1 || (await reachable(server.adminUrl))) throw error;
      sandbox = undefined; // it died with its server
      if (server.own) {
        if (current === pending) current = undefined;
        await server.own.stop().catch(() => undefined);
        rmSync(server.own.root, { recursive: true, force: true });
      } else {
        await waitFor(
          'the shadow server (SCHEMAWRIGHT_SHADOW_URL) to answer again',
          async () => (await reachable(server.adminUrl)) || undefined,
          { timeoutMs: 30_000, intervalMs: 500 },
        );
      }
    } finally {
      if (sandbox) await dropSandbox(server.adminUrl, sandbox).catch(() => undefined);
    }
  }
}
