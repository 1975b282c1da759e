import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { claimablePort, freePort } from '../stack/ports';
import { waitFor } from '../stack/wait';
import { testStack } from './support/stack';

const ROOT = join(__dirname, '..');

interface Ports {
  temporal: number;
  ui: number;
  postgres: number;
  mail: number;
  web: number;
}

/** `npm start` as a user runs it (node with the tsx loader), capturing what it prints. */
function start(home: string, ports: Ports) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'cli/schemawright.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SCHEMAWRIGHT_HOME: home,
      TEMPORAL_CLI_PATH: testStack().temporalCliPath,
      SCHEMAWRIGHT_TEMPORAL_PORT: String(ports.temporal),
      SCHEMAWRIGHT_TEMPORAL_UI_PORT: String(ports.ui),
      SCHEMAWRIGHT_POSTGRES_PORT: String(ports.postgres),
      SCHEMAWRIGHT_WEB_PORT: String(ports.web),
      SCHEMAWRIGHT_MAIL_CAPTURE_PORT: String(ports.mail),
      TEMPORAL_ADDRESS: '',
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { child, output, exited };
}

async function allFree(ports: Ports): Promise<boolean> {
  const results = await Promise.all(Object.values(ports).map((p) => claimablePort(p)));
  return results.every((r) => r !== undefined);
}

async function pickPorts(): Promise<Ports> {
  return { temporal: await freePort(), ui: await freePort(), postgres: await freePort(), web: await freePort(), mail: await freePort() };
}

describe('npm start: the embedded default', () => {
  const home = mkdtempSync(join(tmpdir(), 'sw-home-'));
  chmodSync(home, 0o755);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('comes up, answers on the web and the Temporal UI, stops on Ctrl-C, and finds its data on the second start', async () => {
    const ports = await pickPorts();
    const first = start(home, ports);
    try {
      await waitFor('the first start to report it is running', () => {
        if (first.child.exitCode !== null) throw new Error(`start exited early:\n${first.output.stdout}\n${first.output.stderr}`);
        return first.output.stdout.includes('schemawright is running.') || undefined;
      }, { timeoutMs: 180_000, intervalMs: 200 });
      expect(first.output.stdout).toContain(`Web (requests, approvals):  http://127.0.0.1:${ports.web}`);
      expect(first.output.stdout).toContain(`Temporal UI (workflows):    http://127.0.0.1:${ports.ui}`);
      const firstCheck = /Stack check: +passed \(workflow (\S+)\)/.exec(first.output.stdout)![1];

      const web = await fetch(`http://127.0.0.1:${ports.web}/`);
      expect(web.status).toBe(200);
      expect(await web.text()).toContain(firstCheck);
      expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${ports.web}/healthz`)).json()).toEqual({ store: 'ok', temporal: 'ok' });

      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      expect(first.output.stdout).toContain('stopped.');
      expect(await allFree(ports)).toBe(true);

      const second = start(home, ports);
      try {
        await waitFor('the second start to report it is running', () => {
          if (second.child.exitCode !== null) throw new Error(`second start exited early:\n${second.output.stderr}`);
          return second.output.stdout.includes('schemawright is running.') || undefined;
        }, { timeoutMs: 180_000, intervalMs: 200 });
        // Temporal kept its workflows, PostgreSQL kept the first run's artifact.
        expect(await (await fetch(`http://127.0.0.1:${ports.web}/`)).text()).toContain(firstCheck);
        const password = readFileSync(join(home, 'postgres.password'), 'utf8').trim();
        const pg = new Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${ports.postgres}/schemawright` });
        await pg.connect();
        const { rows } = await pg.query('SELECT count(*)::int AS n FROM artifacts WHERE content = $1', [`stack check by workflow ${firstCheck}`]);
        await pg.end();
        expect(rows[0].n).toBe(1);
        // shop's reader and applier: no superuser; the reader reads and cannot write, the applier owns shop.
        const reader = readFileSync(join(home, 'target-roles', 'schemawright_reader.password'), 'utf8').trim();
        const shop = new Client({ connectionString: `postgres://schemawright_reader:${reader}@127.0.0.1:${ports.postgres}/shop` });
        await shop.connect();
        try {
          const roles = await shop.query(`
            SELECT r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole, pg_has_role(r.rolname, 'pg_read_all_data', 'MEMBER') AS reads_all,
                   (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'shop') = r.rolname AS owns_shop
            FROM pg_roles r WHERE r.rolname IN ('schemawright_reader', 'schemawright_applier') ORDER BY 1`);
          expect(roles.rows).toEqual([
            { rolname: 'schemawright_applier', rolsuper: false, rolcreatedb: false, rolcreaterole: false, reads_all: false, owns_shop: true },
            { rolname: 'schemawright_reader', rolsuper: false, rolcreatedb: false, rolcreaterole: false, reads_all: true, owns_shop: false },
          ]);
          await expect(shop.query('CREATE TABLE intruder (a int)')).rejects.toThrow('cannot execute CREATE TABLE in a read-only transaction');
        } finally {
          await shop.end();
        }
      } finally {
        second.child.kill('SIGINT');
        expect(await second.exited).toBe(0);
      }
      expect(await allFree(ports)).toBe(true);
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('reports a port already in use in one line, with what to do, and starts nothing', async () => {
    const ports = await pickPorts();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(ports.web, '127.0.0.1', r));
    try {
      const run = start(join(home, 'busy'), ports);
      expect(await run.exited).toBe(1);
      expect(run.output.stderr).toBe(
        `schemawright: Port ${ports.web} for the approvals web server is already in use. Stop whatever holds it, or choose another with SCHEMAWRIGHT_WEB_PORT.\n`,
      );
      expect(run.output.stdout).toBe('');
      const { web: _web, ...others } = ports;
      expect(await allFree({ ...others, web: 0 })).toBe(true);
    } finally {
      squatter.close();
    }
  });
});
