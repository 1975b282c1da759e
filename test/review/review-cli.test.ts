import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { ReviewReport } from '../../activities/review/review';
import { createTestDatabase } from '../support/stack';

const ROOT = join(__dirname, '../..');

function review(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/schemawright.ts', 'review', ...args],
      { cwd: ROOT, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function layout(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-review-cli-'));
  for (const [path, sql] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), sql);
  }
  return dir;
}

describe('schemawright review', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const make = (files: Record<string, string>) => {
    const dir = layout(files);
    dirs.push(dir);
    return dir;
  };

  it('exits 1 on an error finding, with file:line:column, and 0 when only warnings remain (golang-migrate layout)', async () => {
    const dir = make({
      '001_orders.up.sql': 'CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, customer_id bigint);\n',
      '001_orders.down.sql': 'DROP TABLE orders;\n',
      '002_index.up.sql':
        'UPDATE orders SET customer_id = 0;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);\n',
      '002_index.down.sql': 'DROP INDEX CONCURRENTLY orders_customer;\n',
    });
    const old = await review([dir, '--pg-version', '14.2']);
    expect(old.code).toBe(1);
    expect(old.stdout).toContain('002_index.up.sql:2:1: error SW-L-CONCURRENT-INDEX-PG14 [schemawright]');
    expect(old.stdout).toContain('002_index.up.sql:1:1: warning SW-L-UNBOUNDED-UPDATE [schemawright]');
    const current = await review([dir, '--pg-version', '16', '--format', 'json']);
    expect(current.code).toBe(0);
    const report = JSON.parse(current.stdout) as ReviewReport;
    expect(report.files.map((f) => f.path)).toEqual(['001_orders.up.sql', '002_index.up.sql']);
    expect(report.counts.error).toBe(0);
    expect(report.files[1]!.steps.map((s) => s.kind)).toEqual(['transactional', 'non-transactional']);
  });

  it('reads dbmate files, keeping the down section at its own lines', async () => {
    const dir = make({
      '20260101_tags.sql':
        '-- migrate:up\nALTER TABLE posts ADD COLUMN IF NOT EXISTS tag_id bigint;\n\n-- migrate:down\nALTER TABLE posts DROP COLUMN tag;\n',
    });
    const { code, stdout } = await review([dir, '--format', 'json']);
    expect(code).toBe(0);
    const finding = (JSON.parse(stdout) as ReviewReport).findings.find((f) => f.id === 'SW-L-DOWN-FAILS');
    expect(finding?.location?.line).toBe(5);
  });

  it('reports a syntax error with its position and reviews nothing', async () => {
    const dir = make({ 'V1__init.sql': 'CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN;\n' });
    const { code, stderr, stdout } = await review([dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'V1__init.sql:2:25: syntax error at or near ";". Fix the SQL at that position; nothing was reviewed or applied.',
    );
    expect(stdout).toBe('');
  });

  it('renders Markdown grouped by severity (Flyway layout)', async () => {
    const dir = make({
      'V1__init.sql': 'CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, data json);\n',
      'V2__drop.sql': 'DROP TABLE t;\n',
    });
    const { code, stdout } = await review([dir, '--format', 'markdown']);
    expect(code).toBe(0);
    expect(stdout).toContain('## Warnings (3)');
    expect(stdout).toContain('### `V2__drop.sql:1:1` SW-L-IRREVERSIBLE (schemawright)');
    expect(stdout).toContain('**Why:**');
  });

  it('with --target (here a configured target’s name), verifies on a shadow database and fails on a broken down, without printing the password', async () => {
    const target = await createTestDatabase('sw_review_cli');
    try {
      const client = new Client({ connectionString: target.url });
      await client.connect();
      await client.query('CREATE TABLE users (id bigint PRIMARY KEY, name text)');
      await client.end();
      const dir = make({
        '2026-01-01-000000_view/up.sql':
          'ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;\nCREATE VIEW user_emails AS SELECT id, email FROM users;\n',
        '2026-01-01-000000_view/down.sql': 'ALTER TABLE users DROP COLUMN email;\nDROP VIEW user_emails;\n',
      });
      const { code, stdout, stderr } = await review([dir, '--target', 'reviewed'], {
        SCHEMAWRIGHT_TARGET_REVIEWED_URL: target.url,
      });
      expect(code).toBe(1);
      expect(stdout).toContain(
        'error SW-SHADOW-FAILED [schemawright] The down of 2026-01-01-000000_view fails on the shadow database: cannot drop column email of table users because other objects depend on it (SQLSTATE 2BP01).',
      );
      const password = new URL(target.url).password;
      expect(stdout + stderr).not.toContain(password);
    } finally {
      await target.drop();
    }
  });

  it('with --target, reports SW-ESC-PRIVILEGED with the statements, the apply role and the shadow skipping them, runs none of them, and exits 1 (text, json, markdown)', async () => {
    const target = await createTestDatabase('sw_review_cli_privileged');
    const role = `evil_${Date.now().toString(36)}`;
    try {
      const dir = make({
        '001_loot.up.sql': `CREATE TABLE loot (body text);\nCREATE ROLE ${role} LOGIN;\nDO $$ BEGIN INSERT INTO loot SELECT pg_read_file('/etc/hostname'); END $$;\n`,
        '001_loot.down.sql': `DROP TABLE loot;\nDROP ROLE ${role};\n`,
      });
      const env = { SCHEMAWRIGHT_TARGET_REVIEWED_URL: target.url };
      const text = await review([dir, '--target', 'reviewed'], env);
      expect(text.code).toBe(1);
      const user = decodeURIComponent(new URL(target.url).username);
      expect(text.stdout).toContain(
        'question SW-ESC-PRIVILEGED:statements: 2 statement(s) need rights beyond the database or reach outside it. Review ran none of them, not even on the shadow. ' +
          `If the request is applied as written, the apply role "${user}" (SUPERUSER`,
      );
      expect(text.stdout).toContain(
        `    001_loot.up.sql:2: CREATE ROLE ${role} LOGIN\n      it creates a role (roles belong to the whole cluster)`,
      );
      expect(text.stdout).toContain(
        "    001_loot.up.sql:3: DO $$ BEGIN INSERT INTO loot SELECT pg_read_file('/etc/hostname'); END $$\n      it calls or names pg_read_file, which reads or writes the server's files",
      );
      expect(text.stdout).toContain('    option reject: Reject the request: Nothing of this request is applied');
      expect(text.stdout).toContain(
        '001_loot.up.sql:2:1: info SW-SHADOW-SKIPPED [schemawright] The shadow skipped this statement: it creates a role (roles belong to the whole cluster). The verification does not cover it.',
      );
      expect(text.stdout).toContain(
        '001_loot.down.sql:2:1: info SW-SHADOW-SKIPPED [schemawright] The shadow skipped this statement of the down migration: it drops a role',
      );
      expect(text.stdout).toContain('1 question(s) for people (SW-ESC-PRIVILEGED).');
      const admin = new Client({ connectionString: target.url });
      await admin.connect();
      const roles = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      await admin.end();
      expect(roles.rows).toEqual([]);

      const json = await review([dir, '--target', 'reviewed', '--format', 'json'], env);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as ReviewReport;
      expect(report.escalations?.map((e) => [e.id, e.options.map((o) => o.id), e.recommendation.optionId])).toEqual([
        ['SW-ESC-PRIVILEGED:statements', ['apply-as-written', 'reject'], 'reject'],
      ]);
      const at = (id: string) =>
        report.findings.filter((f) => f.id === id).map((f) => `${f.location?.file}:${f.location?.line}`);
      expect(at('SW-L-PRIVILEGED')).toEqual(['001_loot.down.sql:2', '001_loot.up.sql:2', '001_loot.up.sql:3']);
      expect(at('SW-SHADOW-SKIPPED')).toEqual(['001_loot.down.sql:2', '001_loot.up.sql:2', '001_loot.up.sql:3']);

      const markdown = await review([dir, '--target', 'reviewed', '--format', 'markdown'], env);
      expect(markdown.code).toBe(1);
      expect(markdown.stdout).toContain('## Questions for people (1)\n\n### SW-ESC-PRIVILEGED:statements');
      expect(markdown.stdout).toContain(`\`\`\`\n001_loot.up.sql:2: CREATE ROLE ${role} LOGIN`);
    } finally {
      await target.drop();
    }
  });

  it('without a target, still raises SW-ESC-PRIVILEGED and exits 1', async () => {
    const dir = make({ 'V1__copy.sql': "COPY (SELECT 1) TO PROGRAM 'touch /tmp/never';\n" });
    const { code, stdout } = await review([dir]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "V1__copy.sql:1: COPY (SELECT 1) TO PROGRAM 'touch /tmp/never'\n      it runs a program on the database server (COPY TO PROGRAM)",
    );
    expect(stdout).toContain("the apply role (the role the target's apply connection logs in as) runs them");
  });

  it('--format github and --format sarif report for CI with paths from where it ran, and keep the exit codes', async () => {
    const dir = make({
      '002_index.up.sql':
        'UPDATE orders SET customer_id = 0;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);\n',
    });
    const file = join(dir, '002_index.up.sql');
    const github = await review([dir, '--pg-version', '14.2', '--format', 'github']);
    expect(github.code).toBe(1);
    const lines = github.stdout.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^::error file=${file.replace(/[.]/g, '\\.')},line=2,col=1,title=SW-L-CONCURRENT-INDEX-PG14::\\S`),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^::warning file=.*,line=1,col=1,title=SW-L-UNBOUNDED-UPDATE::/),
    );
    expect(lines.every((l) => /^::(error|warning|notice) /.test(l))).toBe(true);

    const current = await review([dir, '--pg-version', '16', '--format', 'sarif']);
    expect(current.code).toBe(0);
    const sarif = JSON.parse(current.stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    expect(sarif.runs).toHaveLength(1);
    expect(sarif.runs[0].tool.driver.name).toBe('schemawright');
    const ruleIds = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    const results = sarif.runs[0].results as {
      ruleId: string;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
    }[];
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(ruleIds).toContain(r.ruleId);
      expect(['error', 'warning', 'note']).toContain(r.level);
      expect(r.message.text.length).toBeGreaterThan(0);
      expect(Array.isArray(r.locations)).toBe(true);
    }
    const update = results.find((r) => r.ruleId === 'SW-L-UNBOUNDED-UPDATE')!;
    expect(update.level).toBe('warning');
    expect(update.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: file },
      region: { startLine: 1, startColumn: 1 },
    });
    expect(results.some((r) => r.level === 'error')).toBe(false);
  });
});
