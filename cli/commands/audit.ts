import type { Command } from 'commander';
import { ConfigError, readClientEnvironment } from '../../config/environment';
import type { AuditFilters } from '../../store/audit';
import type { AnchoredVerification, AuditCheckpoint } from '../../store/audit-checkpoints';
import { AUDIT_FORMATS, renderAudit, type AuditFormat } from '../../store/audit-format';

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
async function storePool() {
  const url = readClientEnvironment().postgres.databaseUrl;
  if (!url)
    throw new ConfigError(
      'no project store: set DATABASE_URL to the store of your schemawright, or run `schemawright start` in this directory first.',
    );
  const { createStorePool } = await import('../../store/database.js');
  return createStorePool(url, 'schemawright-audit');
}

function date(option: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const value = new Date(text);
  if (Number.isNaN(value.getTime()))
    throw new ConfigError(`${option} ${text} is not a date: use ISO 8601, like 2026-11-27 or 2026-11-27T18:00:00Z.`);
  return value;
}

export async function runAudit(options: AuditOptions): Promise<void> {
  if (!AUDIT_FORMATS.includes(options.format as AuditFormat))
    throw new ConfigError(`unknown --format '${options.format}': use one of ${AUDIT_FORMATS.join(', ')}.`);
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    throw new ConfigError(`--limit ${options.limit} is not a positive whole number.`);
  const filters: AuditFilters = {
    requestId: options.request,
    target: options.target,
    actor: options.actor,
    since: date('--since', options.since),
    until: date('--until', options.until),
    limit,
  };
  const pool = await storePool();
  const { queryAudit } = await import('../../store/audit.js');
  try {
    process.stdout.write(`${renderAudit(await queryAudit(pool, filters), options.format as AuditFormat)}\n`);
  } finally {
    await pool.end();
  }
}

/** Exit statuses of `audit verify` (README, "Auditing"). */
export const VERIFY_EXIT = { intact: 0, tampered: 1, couldNotVerify: 2, notAnchored: 3 } as const;

/**
 * Checks the chain against the signed checkpoints, the store's and the newest one kept outside it (the
 * audit-anchor workflow on Temporal, unless `anchor` is false), and returns the exit status.
 */
export async function runAuditVerify(options: { anchor: boolean }): Promise<number> {
  const env = readClientEnvironment();
  const { auditPublicKeyFrom } = await import('../../store/audit-key.js');
  const { verifyAnchoredAudit } = await import('../../store/audit-checkpoints.js');
  let key;
  try {
    key = auditPublicKeyFrom(env);
  } catch (error) {
    process.stderr.write(`schemawright: ${(error as Error).message}\n`);
    return VERIFY_EXIT.couldNotVerify;
  }
  let pool;
  try {
    pool = await storePool();
  } catch (error) {
    process.stderr.write(`schemawright: ${(error as Error).message}\n`);
    return VERIFY_EXIT.couldNotVerify;
  }
  try {
    let anchored: AuditCheckpoint | null | 'not read' = 'not read';
    if (options.anchor) {
      const { connectClient } = await import('../../stack/temporal-connection.js');
      const { readAnchor } = await import('../../store/audit-anchor.js');
      const temporal = await connectClient(env);
      try {
        anchored = await readAnchor(temporal.client, key);
      } finally {
        await temporal.connection.close();
      }
    }
    const result = await verifyAnchoredAudit(pool, key, anchored);
    process.stdout.write(`${describeVerification(result, key.id, key.text)}\n`);
    if (!result.ok) return VERIFY_EXIT.tampered;
    return result.anchor.state === 'missing' ? VERIFY_EXIT.notAnchored : VERIFY_EXIT.intact;
  } catch (error) {
    process.stderr.write(`schemawright: audit verify could not finish: ${(error as Error).message}\n`);
    return VERIFY_EXIT.couldNotVerify;
  } finally {
    await pool.end();
  }
}

function describeVerification(result: AnchoredVerification, keyId: string, publicKey: string): string {
  const lines = [`audit key ${keyId} (public key ${publicKey})`];
  if (result.forged) return [...lines, `audit log BROKEN: ${result.forged}.`].join('\n');
  if (result.firstBroken) {
    const broken = result.firstBroken;
    lines.push(
      `audit log BROKEN at entry ${broken.seq}: ${broken.reason}. ${result.entries === 1 ? 'The 1 entry before it is' : `The ${result.entries} entries before it are`} intact. Compare entry ${broken.seq} with your store backups to see what was changed.`,
    );
    return lines.join('\n');
  }
  if (result.truncated) {
    const { entries, signedEntries, signedAt } = result.truncated;
    lines.push(
      `audit log TRUNCATED: it has ${entries} entries, but the checkpoint signed at ${signedAt} says it had ${signedEntries}: the newest ${signedEntries - entries} were removed. Restore them from your store backups.`,
    );
    return lines.join('\n');
  }
  const covered = result.anchor.state === 'checked' ? result.anchor.checkpoint.entries : undefined;
  lines.push(
    `audit log intact: ${result.entries} entries, each chained to the one before it; ${result.checkpoints} signed checkpoint(s) in the store agree with it`,
  );
  const anchor = {
    checked: `the newest checkpoint kept outside the store (Temporal, ${covered} entries) agrees with it`,
    empty:
      'no checkpoint was written yet (the first is written at the end of a request, or within a minute of an entry)',
    missing:
      'WARNING: the store has checkpoints but the anchor workflow on Temporal has none: it was removed, or Temporal was never reached; a rewrite that also removed checkpoints from the store would not be seen',
    'not read': 'the anchor outside the store was not read (--no-anchor)',
  }[result.anchor.state];
  lines.push(anchor);
  return lines.join('\n');
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
    .description(
      'Check the audit log against its signed checkpoints: intact (exit 0), or the first altered entry or a cut tail (exit 1); 2: could not check; 3: intact but not anchored outside the store.',
    )
    .option('--no-anchor', 'do not read the newest checkpoint kept outside the store (on Temporal)')
    .action(async (options: { anchor: boolean }) => {
      process.exitCode = await runAuditVerify(options);
    });
}
