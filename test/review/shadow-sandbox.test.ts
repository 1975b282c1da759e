import { Client } from 'pg';
import { verifyOnShadow } from '../../postgres/shadow';
import { readEnvironment } from '../../config/environment';
import { runningShadowServer, stopShadowServer, withSandboxDatabase } from '../../stack/shadow-server';
import { waitFor } from '../../stack/wait';
import { querySql, runSql } from '../support/requests';
import { createTargetRoles, createTestDatabase, testStack } from '../support/stack';

const databasesOf = async (adminUrl: string) =>
  (await querySql<{ datname: string }>(adminUrl, 'SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname);

describe('the shadow sandbox', () => {
  afterAll(() => stopShadowServer());

  it('runs requested SQL as a role without SUPERUSER, CREATEROLE, CREATEDB or server-file roles, under a statement_timeout', async () => {
    await withSandboxDatabase(async (sandbox) => {
      const client = new Client({ connectionString: sandbox.url });
      await client.connect();
      try {
        const { rows } = await client.query(`
          SELECT rolsuper, rolcreaterole, rolcreatedb,
                 pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER') AS program,
                 pg_has_role(current_user, 'pg_read_server_files', 'MEMBER') AS read_files,
                 pg_has_role(current_user, 'pg_write_server_files', 'MEMBER') AS write_files,
                 current_setting('statement_timeout') AS timeout
          FROM pg_roles WHERE rolname = current_user`);
        expect(rows).toEqual([
          {
            rolsuper: false,
            rolcreaterole: false,
            rolcreatedb: false,
            program: false,
            read_files: false,
            write_files: false,
            timeout: '1min',
          },
        ]);
        await expect(client.query("COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toThrow(
          'permission denied to COPY to or from an external program',
        );
        await expect(client.query('CREATE ROLE intruder')).rejects.toThrow('permission denied to create role');
      } finally {
        await client.end();
      }
    });
  });

  it("verifies a review with the target's reader alone, and creates nothing on the target's server", async () => {
    const target = await createTestDatabase('sw_sandbox_reader');
    const roles = await createTargetRoles(target);
    try {
      await runSql(target.url, 'CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL)');
      const before = await databasesOf(testStack().postgresAdminUrl);
      await expect(runSql(roles.readerUrl, 'CREATE TABLE t (a int)')).rejects.toThrow(
        'cannot execute CREATE TABLE in a read-only transaction',
      );
      const result = await verifyOnShadow(roles.readerUrl, [
        { name: 'add_body', up: 'ALTER TABLE posts ADD COLUMN body text', down: 'ALTER TABLE posts DROP COLUMN body' },
      ]);
      expect(result.findings).toEqual([]);
      expect(result.copyGaps).toEqual([]);
      expect(result.fingerprints.afterDown).toBe(result.fingerprints.before);
      expect(await databasesOf(testStack().postgresAdminUrl)).toEqual(before);
    } finally {
      await target.drop();
      await roles.drop();
    }
  });

  it("refuses a SCHEMAWRIGHT_SHADOW_URL on the target's own server, before anything runs", async () => {
    const target = await createTestDatabase('sw_sandbox_clash');
    try {
      const env = readEnvironment({ ...process.env, SCHEMAWRIGHT_SHADOW_URL: testStack().postgresAdminUrl });
      const before = await databasesOf(testStack().postgresAdminUrl);
      await expect(
        verifyOnShadow(target.url, [{ name: 'x', up: 'CREATE ROLE intruder', down: 'DROP ROLE intruder' }], env),
      ).rejects.toThrow("SCHEMAWRIGHT_SHADOW_URL points at the target's server");
      expect(await databasesOf(testStack().postgresAdminUrl)).toEqual(before);
    } finally {
      await target.drop();
    }
  });

  it("by default starts this worker's own shadow server on first use, and replaces it when it dies mid-review", async () => {
    await stopShadowServer(); // forget the run's shared server
    delete process.env.SCHEMAWRIGHT_SHADOW_URL;
    expect(await runningShadowServer()).toBeUndefined();
    const target = await createTestDatabase('sw_sandbox_dies');
    try {
      await runSql(target.url, 'CREATE TABLE posts (id bigint PRIMARY KEY)');
      const review = verifyOnShadow(target.url, [{ name: 'slow', up: 'SELECT pg_sleep(2)', down: 'SELECT 1' }]);
      const first = await waitFor(
        'the lazily started shadow server to run the migration',
        async () => {
          const server = await runningShadowServer();
          if (!server) return undefined;
          const sleeping = await querySql(
            server.adminUrl,
            "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()",
          );
          return sleeping.length > 0 ? server : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(first.adminUrl).not.toBe(testStack().postgresAdminUrl);
      first.child.process.kill('SIGKILL');
      const result = await review;
      expect(result.findings).toEqual([]);
      expect(result.fingerprints.afterDown).toBe(result.fingerprints.before);
      const second = await runningShadowServer();
      expect(second).toBeDefined();
      expect(second!.port).not.toBe(first.port);
    } finally {
      await target.drop();
    }
  });
});
