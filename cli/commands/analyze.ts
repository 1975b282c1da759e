import type { Command } from 'commander';
import { FINDINGS_FORMATS, renderFindings, type FindingsFormat } from '../../artifacts/findings-report';
import type { Severity } from '../../artifacts/findings';
import { clientTargetVariables, ConfigError } from '../../config/environment';

export interface AnalyzeOptions {
  target?: string;
  format: string;
  pii?: string;
  failOn?: string;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** Returns the exit status: 0, or 2 when --fail-on matched a finding. */
export async function runAnalyze(options: AnalyzeOptions): Promise<number> {
  const target = options.target ?? process.env.SCHEMAWRIGHT_TARGET_URL;
  if (!target)
    throw new ConfigError(
      'no target: pass --target postgres://user@host:5432/db or a target name, or set SCHEMAWRIGHT_TARGET_URL (keeps the password out of shell history).',
    );
  if (!FINDINGS_FORMATS.includes(options.format as FindingsFormat)) {
    throw new ConfigError(`unknown --format '${options.format}': use one of ${FINDINGS_FORMATS.join(', ')}.`);
  }
  if (options.failOn && !(options.failOn in SEVERITY_RANK))
    throw new ConfigError(`unknown --fail-on '${options.failOn}': use error, warning or info.`);
  const { analyzeTarget } = await import('../../activities/analysis/analyze.js');
  const { redacted } = await import('../../config/targets.js');
  const { targetConnectionString } = await import('../../postgres/target.js');
  // A URL, or the name of a configured target (as requests use), resolved the same way the activities resolve it.
  const env = clientTargetVariables();
  const url = targetConnectionString(target, env);
  const shown = redacted(url);
  process.stderr.write(
    `connecting to ${shown}, reading and analysing the catalog of ${new URL(url).pathname.slice(1) || 'the database'}...\n`,
  );
  const started = performance.now();
  const piiColumns = options.pii
    ? options.pii
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean)
    : [];
  const { catalog, fingerprint, findings } = await analyzeTarget(
    target,
    { piiColumns },
    { applicationName: 'schemawright-analyze', env },
  );
  const tables = catalog.tables.length;
  const indexes = [...catalog.tables, ...catalog.views].reduce((n, r) => n + r.indexes.length, 0);
  process.stderr.write(
    `read ${tables} tables and ${indexes} indexes in ${Math.round(performance.now() - started)} ms: ${findings.length} findings\n`,
  );
  process.stdout.write(
    `${renderFindings(findings, options.format as FindingsFormat, { target: shown, fingerprint, tables, indexes })}\n`,
  );
  const failOn = options.failOn as Severity | undefined;
  return failOn && findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]) ? 2 : 0;
}

export function registerAnalyzeCommand(program: Command): void {
  program
    .command('analyze')
    .description(
      'Read a live PostgreSQL schema and print what analysis finds (missing keys and indexes, duplicate indexes, risky types, key headroom, ...).',
    )
    .option(
      '--target <url|name>',
      'the database to analyse: postgres://user:password@host:port/db, or a configured target name (or set SCHEMAWRIGHT_TARGET_URL)',
    )
    .option('--format <format>', `output format: ${FINDINGS_FORMATS.join(', ')}`, 'text')
    .option(
      '--pii <columns>',
      'comma-separated schema.table.column list of personal-data columns to check for protection',
    )
    .option(
      '--fail-on <severity>',
      'exit with status 2 when a finding of this severity or worse exists (for CI): error, warning or info',
    )
    .action(async (options: AnalyzeOptions) => {
      process.exitCode = await runAnalyze(options);
    });
}
