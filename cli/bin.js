#!/usr/bin/env node
// Runs the compiled CLI in dist/ (built by `npm install`), compiling it first when it is missing or a
// source file changed since: no TypeScript is compiled while a command runs.
const { readFileSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = join(__dirname, '..');

/** The first source file newer than the build, or why there is no usable build. */
function reasonToCompile() {
  let build;
  try {
    build = JSON.parse(readFileSync(join(ROOT, 'dist', 'build.json'), 'utf8'));
  } catch {
    return 'dist/ has not been built';
  }
  const builtAt = Date.parse(build.builtAt);
  for (const folder of build.folders) {
    for (const entry of readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || /\.test\.tsx?$/.test(entry.name)) continue;
      const file = join(entry.parentPath ?? entry.path, entry.name);
      if (statSync(file).mtimeMs > builtAt) return `${file.slice(ROOT.length + 1)} changed since dist/ was built`;
    }
  }
  return undefined;
}

const reason = reasonToCompile();
if (reason) {
  process.stderr.write(`schemawright: ${reason}; compiling first\n`);
  const compiled = spawnSync(process.execPath, [join(__dirname, 'compile.mjs'), '--quiet'], { stdio: 'inherit' });
  if (compiled.status !== 0) process.exit(compiled.status ?? 1);
}
require('../dist/cli/schemawright.js');
