import { readFileSync } from 'node:fs';
import { applyMigration, revertMigrations } from '../../activities/apply';
import type { Migration } from '../../artifacts/migration';

/**
 * A runner in its own process, for tests that kill it with SIGKILL: `node --import tsx
 * apply-child.ts <target url> <migration.json> [revert]`. Applies the migration, or with `revert`
 * reverts it; prints each progress event as a JSON line.
 */
async function main(): Promise<void> {
  const [url, file, mode] = process.argv.slice(2);
  const migration = JSON.parse(readFileSync(file, 'utf8')) as Migration;
  const target = { name: 'child', connectionString: url };
  const options = {
    requestId: 'child-run',
    decidedBy: ['ann'],
    lockTimeoutMs: 60_000,
    onProgress: (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`),
  };
  const result =
    mode === 'revert'
      ? await revertMigrations(target, [migration], options)
      : await applyMigration(target, migration, options);
  process.stdout.write(`${JSON.stringify({ done: result })}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.name}: ${error.message}\n`);
  process.exit(1);
});
