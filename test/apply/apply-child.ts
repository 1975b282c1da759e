import { readFileSync } from 'node:fs';
import { applyMigration } from '../../activities/apply';
import type { Migration } from '../../artifacts/migration';

/**
 * A runner in its own process, for tests that kill it with SIGKILL: `node --import tsx
 * apply-child.ts <target url> <migration.json>`. Prints each progress event as a JSON line.
 */
async function main(): Promise<void> {
  const [url, file] = process.argv.slice(2);
  const migration = JSON.parse(readFileSync(file, 'utf8')) as Migration;
  const result = await applyMigration({ name: 'child', connectionString: url }, migration, {
    requestId: 'child-run',
    decidedBy: ['ann'],
    lockTimeoutMs: 60_000,
    onProgress: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
  });
  process.stdout.write(`${JSON.stringify({ done: result })}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.name}: ${error.message}\n`);
  process.exit(1);
});
