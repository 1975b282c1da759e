#!/usr/bin/env node
// Compiles the TypeScript that schemawright runs (CLI, worker, web server) to CommonJS in dist/, so no
// command pays for TypeScript compilation at run time. esbuild transpiles file by file (no type check:
// `npm test` runs tsc); files that are not TypeScript (store migrations, the example policy) are copied
// beside them. `npm install` runs this (prepare); `npm start` and `npm run schemawright` run it first.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The folders whose code runs in production; tests, benchmarks and docs run from source with tsx. */
const SOURCE_FOLDERS = [
  'activities',
  'approvals',
  'artifacts',
  'cli',
  'config',
  'postgres',
  'stack',
  'store',
  'workers',
  'workflows',
];
const DIST = join(ROOT, 'dist');
// Built aside and swapped in, so a stack running from dist/ never loads a half-written file.
const OUT = join(ROOT, `dist.building-${process.pid}`);

function sourceFiles() {
  return SOURCE_FOLDERS.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && !entry.name.endsWith('.test.ts'))
      .map((entry) => join(entry.parentPath ?? entry.path, entry.name)),
  );
}

const started = Date.now();
const files = sourceFiles();
const typescript = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
await build({
  entryPoints: typescript,
  outdir: OUT,
  outbase: ROOT,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  // `await import()` becomes a lazy require: the CLI loads a command's engines only when it runs.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
});
for (const file of files.filter((f) => !f.endsWith('.ts') && !f.endsWith('.js') && !f.endsWith('.mjs'))) {
  const to = join(OUT, file.slice(ROOT.length + 1));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(file, to);
}
// Its time is the build's: `cli/bin.js` compiles again when a file in these folders is newer.
writeFileSync(
  join(OUT, 'build.json'),
  `${JSON.stringify({ builtAt: new Date().toISOString(), folders: SOURCE_FOLDERS })}\n`,
);
const old = `${DIST}.old-${process.pid}`;
try {
  renameSync(DIST, old);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
try {
  renameSync(OUT, DIST);
} catch (error) {
  // Another compile swapped its build in first: it is as fresh as ours.
  if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  rmSync(OUT, { recursive: true, force: true });
}
rmSync(old, { recursive: true, force: true });
if (!process.argv.includes('--quiet'))
  console.log(`schemawright: compiled ${typescript.length} files to dist/ in ${Date.now() - started} ms`);
