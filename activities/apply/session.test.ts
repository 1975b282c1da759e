import { Client } from 'pg';
import { connectTarget } from '../../postgres/target';
import { freePort } from '../../stack/ports';
import { waitFor } from '../../stack/wait';
import { querySql, runSql } from '../../test/support/requests';
import { createTestDatabase, type TestDatabase } from '../../test/support/stack';
import { isConnectionLost } from './session';

/** What the runner retries by reconnecting, and what it does not: errors as real servers and sockets give them. */
describe('isConnectionLost', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('sw_connection_lost');
  });
  afterAll(() => db.drop());

  const failureOf = async (work: (client: Client) => Promise<unknown>): Promise<unknown> => {
    const client = new Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client).then(
        () => undefined,
        (error: unknown) => error,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  it('a terminated backend (57P01), and the next query on its dead client', async () => {
    const client = new Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    const { pid } = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
    const sleeping = client.query('SELECT pg_sleep(30)').catch((error: unknown) => error);
    await waitFor('the sleep to run', async () =>
      (await querySql(db.url, `SELECT 1 FROM pg_stat_activity WHERE pid = ${pid} AND state = 'active'`)).length
        ? true
        : undefined,
    );
    await runSql(db.url, `SELECT pg_terminate_backend(${pid})`);
    const terminated = await sleeping;
    expect(terminated).toMatchObject({ code: '57P01' });
    expect(isConnectionLost(terminated)).toBe(true);
    const after = await client.query('SELECT 1').catch((error: unknown) => error);
    expect(isConnectionLost(after)).toBe(true);
    await client.end().catch(() => undefined);
  });

  it('a server that does not answer (ECONNREFUSED, through connectTarget)', async () => {
    const closed = new URL(db.url);
    closed.port = String(await freePort());
    const refused = await connectTarget(closed.toString()).catch((error: unknown) => error);
    expect(isConnectionLost(refused)).toBe(true);
  });

  it('not a statement the server refused: lock timeout, syntax, constraint, statement timeout', async () => {
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('CREATE TABLE held (id int)');
    await holder.query('BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE');
    const refused = await Promise.all([
      failureOf((c) => c.query('SELEC 1')),
      failureOf((c) => c.query('CREATE TEMP TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (1)')),
      failureOf((c) => c.query('SET statement_timeout = 10; SELECT pg_sleep(1)')),
      failureOf((c) => c.query('SET lock_timeout = 10; SELECT * FROM held')),
    ]);
    await holder.end();
    expect(refused.map((e) => (e as { code?: string }).code)).toEqual(['42601', '23505', '57014', '55P03']);
    expect(refused.map(isConnectionLost)).toEqual([false, false, false, false]);
  });
});
