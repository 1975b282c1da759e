import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
/** What a checkout holds besides its tests: the folders tsconfig.json includes (compile.mjs reads it too). */
const SOURCES = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] }).include.filter(
  (folder) => !['test', 'bench', 'docs'].includes(folder),
);

function run(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, args, { cwd }, (error, stdout, stderr) =>
      resolveRun({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * `schemawright` as installed: a checkout of its own (the source copied, node_modules linked), so that
 * compiling it never races the checkout the tests run from.
 */
describe('the compiled CLI', () => {
  const checkout = mkdtempSync(join(tmpdir(), 'sw-compiled-'));
  beforeAll(() => {
    for (const folder of SOURCES) cpSync(join(ROOT, folder), join(checkout, folder), { recursive: true });
    for (const file of ['package.json', 'tsconfig.json']) cpSync(join(ROOT, file), join(checkout, file));
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
  });
  afterAll(() => rmSync(checkout, { recursive: true, force: true }));

  it('compiles once, then runs without compiling TypeScript, and compiles again after a source changed', async () => {
    const first = await run(checkout, ['cli/bin.js', '--help']);
    expect(first.stderr).toBe('schemawright: dist/ has not been built; compiling first\n');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Usage: schemawright');

    // Every module the second run loads, written by a preload as the process exits.
    const loaded = join(checkout, 'loaded.json');
    const preload = join(checkout, 'record-loaded.js');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(Object.keys(require.cache))));`,
    );
    const second = await run(checkout, ['-r', preload, 'cli/bin.js', 'review', '--help']);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    const modules = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
    expect(
      modules.filter((file) => file.endsWith('.ts') || /node_modules\/(tsx|esbuild|typescript)\//.test(file)),
    ).toEqual([]);
    expect(modules).toContain(join(checkout, 'dist', 'cli', 'schemawright.js'));
    // Help loads no engine: not Temporal's client, not the PostgreSQL client, not the SQL parser.
    expect(modules.filter((file) => /node_modules\/(@temporalio|pg|pgsql-parser|libpg-query)\//.test(file))).toEqual(
      [],
    );

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(checkout, 'postgres', 'names.ts'), later, later);
    const third = await run(checkout, ['cli/bin.js', '--help']);
    expect(third.stderr).toBe('schemawright: postgres/names.ts changed since dist/ was built; compiling first\n');
    expect(third.code).toBe(0);
  });
});
