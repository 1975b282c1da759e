import type { Command } from 'commander';
import { ConfigError, readClientEnvironment } from '../../config/environment';
import { queryAudit, verifyAudit, type AuditFilters } from '../../store/audit';
import { AUDIT_FORMATS, renderAudit, type AuditFormat } from '../../store/audit-format';
import { createStorePool } from '../../store/database';

interface AuditOptions {
  request?: string;
  target?: string;
  actor?: string;
  since?: string;
  until?: string;
  limit?: string;
  format: string;
}

/** The store `schemawright start` runs, or DATABASE_URL. */
function storePool() {
  const url = readClientEnvironment().postgres.databaseUrl;
  if (!url) throw new ConfigError('no project store: set DATABASE_URL to the store of your schemawright, or run `schemawright start` in this directory first.');
  return createStorePool(url, 'schemawright-audit');
}

function date(option: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const value = new Date(text);
  if (Number.isNaN(value.getTime())) throw new ConfigError(`${option} ${text} is not a date: use ISO 8601, like 2026-11-27 or 2026-11-27T18:00:00Z.`);
  return value;
}

export async function runAudit(options: AuditOptions): Promise<void> {
  if (!AUDIT_FORMATS.includes(options.format as AuditFormat)) throw new ConfigError(`unknown --format '${options.format}': use one of ${AUDIT_FORMATS.join(', ')}.`);
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new ConfigError(`--limit ${options.limit} is not a positive whole number.`);
  const filters: AuditFilters = { requestId: options.request, target: options.target, actor: options.actor, since: date('--since', options.since), until: date('--until', options.until), limit };
  const pool = storePool();
  try {
    process.stdout.write(`${renderAudit(await queryAudit(pool, filters), options.format as AuditFormat)}\n`);
  } finally {
    await pool.end();
  }
}

/** Returns the exit status: 0 when the chain is intact, 1 when an entry is broken. */
export async function runAuditVerify(): Promise<number> {
  const pool = storePool();
  try {
    const result = await verifyAudit(pool);
    if (result.ok) {
      process.stdout.write(`audit log intact: ${result.entries} entries, each chained to the one before it\n`);
      return 0;
    }
    const broken = result.firstBroken as { seq: number; reason: string };
    process.stdout.write(`audit log BROKEN at entry ${broken.seq}: ${broken.reason}. ${result.entries === 1 ? 'The 1 entry before it is' : `The ${result.entries} entries before it are`} intact. Compare entry ${broken.seq} with your store backups to see what was changed.\n`);
    return 1;
  } finally {
    await pool.end();
  }
}

export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('Show the audit log of requests (who asked, who decided, what was applied), oldest first.')
    .option('--request <id>', 'only this request')
    .option('--target <name>', 'only requests on this target')
    .option('--actor <person>', 'only what this person did')
    .option('--since <iso>', 'only entries at or after this time (ISO 8601)')
    .option('--until <iso>', 'only entries before this time (ISO 8601)')
    .option('--limit <n>', 'only the newest n entries')
    .option('--format <format>', `output format: ${AUDIT_FORMATS.join(', ')}`, 'table')
    .action((options: AuditOptions) => runAudit(options));
  audit
    .command('verify')
    .description('Recompute the hash chain of the whole audit log: says it is intact, or names the first broken entry (exit 1).')
    .action(async () => {
      process.exitCode = await runAuditVerify();
    });
}
