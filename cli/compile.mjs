#!/usr/bin/env node
// Compiles the TypeScript that schemawright runs (CLI, worker, web server) to CommonJS in dist/, so no
// command pays for TypeScript compilation at run time. esbuild transpiles file by file (no type check:
// `npm test` runs tsc; JSX as tsconfig.json says). Other files (store migrations, the example policy,
// the web console's scripts and styles) are copied beside them. `npm install` runs this (prepare);
// `cli/bin.js` runs it when a source is newer than the build.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The folders tsconfig.json includes but tests, benchmarks and docs, which run from source with tsx. */
const SOURCE_FOLDERS = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')).include.filter(
  (folder) => !['test', 'bench', 'docs'].includes(folder),
);
const DIST = join(ROOT, 'dist');
// Built aside and swapped in, so a stack running from dist/ never loads a half-written file.
const OUT = join(ROOT, `dist.building-${process.pid}`);

function sourceFiles() {
  return SOURCE_FOLDERS.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && !/\.test\.tsx?$/.test(entry.name))
      .map((entry) => join(entry.parentPath ?? entry.path, entry.name)),
  );
}

const started = Date.now();
const files = sourceFiles();
const isTypeScript = (file) => /\.tsx?$/.test(file);
const typescript = files.filter(isTypeScript);
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
for (const file of files.filter((f) => !isTypeScript(f))) {
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
