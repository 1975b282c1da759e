import { execFile } from 'node:child_process';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/stack';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `schemawright analyze` as a user runs it. */
function analyze(...args: string[]): Promise<Run> {
  return analyzeWith({}, ...args);
}

function analyzeWith(env: Record<string, string | undefined>, ...args: string[]): Promise<Run> {
  const { DATABASE_URL: _store, SCHEMAWRIGHT_TARGET_URL: _target, ...inherited } = process.env;
  return new Promise((resolve) => {
    const options = { cwd: `${__dirname}/..`, env: { ...inherited, ...env } };
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/schemawright.ts', 'analyze', ...args],
      options,
      (error, stdout, stderr) => {
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('schemawright analyze', () => {
  let db: TestDatabase;
  let password: string;
  beforeAll(async () => {
    db = await createTestDatabase('sw_analyze_cli');
    password = decodeURIComponent(new URL(db.url).password);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE TABLE public.audit (at timestamp, body json);
                        CREATE TABLE public.author (id int PRIMARY KEY, email text);
                        CREATE TABLE public.book (id int PRIMARY KEY, author_id int REFERENCES public.author);`);
    await client.end();
  });
  afterAll(() => db?.drop());

  it('prints the findings as JSON, progress on stderr, and never the password', async () => {
    const run = await analyze('--target', db.url, '--format', 'json', '--pii', 'public.author.email');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as {
      tables: number;
      fingerprint: string;
      findings: { id: string; object: string }[];
    };
    expect(report.tables).toBe(3);
    expect(report.fingerprint).toMatch(/^sha256:/);
    expect(report.findings.map((f) => `${f.id} ${f.object}`).sort()).toEqual([
      'SW-A-FK-NO-INDEX public.book',
      'SW-A-JSON public.audit.body',
      'SW-A-NO-PK public.audit',
      'SW-A-PII-UNPROTECTED public.author.email',
      'SW-A-TIMESTAMP-NO-TZ public.audit.at',
    ]);
    expect(run.stderr).toMatch(/read 3 tables and 2 indexes in \d+ ms/);
    expect(run.stdout + run.stderr).not.toContain(password);
  });

  it('renders markdown and text, and fails a CI run on the severity asked for', async () => {
    const markdown = await analyze('--target', db.url, '--format', 'markdown', '--fail-on', 'warning');
    expect(markdown.status).toBe(2);
    expect(markdown.stdout).toContain('### ⚠️ `SW-A-NO-PK` public.audit');
    expect(markdown.stdout).toContain(
      '```sql\nALTER TABLE public.audit ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;\n```',
    );
    const text = await analyze('--target', db.url, '--fail-on', 'error');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('warning SW-A-JSON  public.audit.body is json, not jsonb');
  });

  it('says what to fix when the target is wrong, without the password', async () => {
    const missing = await analyze('--target', db.url.replace(db.name, 'no_such_database'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(
      'database "no_such_database" does not exist. Check the host, port, database name and credentials',
    );
    expect(missing.stderr).toContain(':***@');
    expect(missing.stderr).not.toContain(password);
    const format = await analyze('--target', db.url, '--format', 'yaml');
    expect(format.stderr).toContain("unknown --format 'yaml': use one of text, json, markdown.");
    const none = await analyze();
    expect(none.stderr).toContain('no target: pass --target');
    const unknown = await analyze('--target', 'warehouse');
    expect(unknown.stderr).toContain("target 'warehouse' has no connection: set SCHEMAWRIGHT_TARGET_WAREHOUSE_URL");
  });

  it('takes a target by name, resolved as requests resolve it', async () => {
    const run = await analyzeWith({ SCHEMAWRIGHT_TARGET_SHOP_URL: db.url }, '--target', 'shop', '--format', 'json');
    expect(run.status).toBe(0);
    expect((JSON.parse(run.stdout) as { tables: number }).tables).toBe(3);
    expect(run.stdout + run.stderr).not.toContain(password);
  });
});
