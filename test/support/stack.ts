import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { Client as PgClient, type Pool } from 'pg';
import { createStorePool, databaseUrl } from '../../store/database';
import { setupStore } from '../../store/least-privilege';
import { ensureTargetRoles, type TargetRoleUrls } from '../../stack/target-roles';
import { bundleWorkflows } from '../../workers/worker';

/** The environment variable through which global setup tells each test file where the stack runs. */
export const TEST_STACK_ENV = 'SCHEMAWRIGHT_TEST_STACK';

export interface TestStack {
  temporalAddress: string;
  namespace: string;
  postgresAdminUrl: string;
  temporalCliPath: string;
}

export function testStack(): TestStack {
  const raw = process.env[TEST_STACK_ENV];
  if (!raw)
    throw new Error(
      `${TEST_STACK_ENV} is not set: run the tests with \`npm test\` so that jest's global setup starts the stack.`,
    );
  return JSON.parse(raw) as TestStack;
}

/** A name no other test uses: task queues, workflow ids, database names. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.toLowerCase();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database of the test's own on the shared PostgreSQL. */
export async function createTestDatabase(prefix = 'sw_test'): Promise<TestDatabase> {
  const admin = testStack().postgresAdminUrl;
  const name = uniqueName(prefix);
  const client = new PgClient({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  return {
    name,
    url: databaseUrl(admin, name),
    async drop() {
      const dropper = new PgClient({ connectionString: admin });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await dropper.end();
    },
  };
}

export interface TestStore {
  db: TestDatabase;
  /** Connected as the store's application role, as workers and the web server are: the code under test uses this. */
  pool: Pool;
  /** DATABASE_URL of the application role. */
  appUrl: string;
  /** Connected as the superuser that set the store up: for what an attacker with the server would do. */
  admin: Pool;
  close(): Promise<void>;
}

/** A fresh project store set up as `store setup` does, with an owner and an application role of its own. */
export async function createTestStore(): Promise<TestStore> {
  const db = await createTestDatabase('sw_store');
  const roles = { owner: `${db.name}_owner`, app: `${db.name}_app` };
  const { appUrl } = await setupStore(db.url, randomBytes(12).toString('hex'), roles);
  const pool = createStorePool(appUrl, 'schemawright-test');
  const admin = createStorePool(db.url, 'schemawright-test-admin');
  return {
    db,
    pool,
    appUrl,
    admin,
    async close() {
      await Promise.all([pool.end(), admin.end()]);
      await db.drop();
      await dropTestRoles(roles);
    },
  };
}

/** The owner and application roles of a test store, once its database is dropped (roles belong to the server). */
export async function dropTestRoles(roles: { owner: string; app: string }): Promise<void> {
  const dropper = new PgClient({ connectionString: testStack().postgresAdminUrl });
  await dropper.connect();
  await dropper.query(`DROP ROLE IF EXISTS "${roles.app}", "${roles.owner}"`);
  await dropper.end();
}

export interface TemporalConnections {
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
  close(): Promise<void>;
}

export async function connectTemporal(): Promise<TemporalConnections> {
  const { temporalAddress, namespace } = testStack();
  const connection = await Connection.connect({ address: temporalAddress });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  return {
    client: new Client({ connection, namespace }),
    nativeConnection,
    namespace,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle, built once per test file (webpack takes seconds). */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflows();
  return bundle;
}

/**
 * The target roles of `db` (stack/target-roles.ts) under names of this test's own: the reader's and
 * the applier's URLs, and `drop` to remove the roles once the database is dropped.
 */
export async function createTargetRoles(db: TestDatabase): Promise<TargetRoleUrls & { drop(): Promise<void> }> {
  const names = { reader: uniqueName('sw_reader'), applier: uniqueName('sw_applier') };
  const passwords = { reader: randomBytes(12).toString('hex'), applier: randomBytes(12).toString('hex') };
  const urls = await ensureTargetRoles(testStack().postgresAdminUrl, db.name, passwords, names);
  return {
    ...urls,
    async drop() {
      const admin = new PgClient({ connectionString: testStack().postgresAdminUrl });
      await admin.connect();
      try {
        for (const role of [names.reader, names.applier]) await admin.query(`DROP ROLE IF EXISTS "${role}"`);
      } finally {
        await admin.end();
      }
    },
  };
}
