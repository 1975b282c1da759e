import type { Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFindings } from '../../artifacts/findings-report';
import type { MigrationStep } from '../../artifacts/migration';
import type { ModelDesignResult } from '../../activities/modeling';
import { clientTargetVariables, ConfigError } from '../../config/environment';

const FORMATS = ['text', 'json', 'markdown'] as const;
type DesignFormat = (typeof FORMATS)[number];

export interface DesignOptions {
  target?: string;
  format: string;
  out?: string;
}

/** Returns the exit status: 0, or 1 when the spec is invalid (every error printed). */
export async function runDesign(specPath: string, options: DesignOptions): Promise<number> {
  if (!FORMATS.includes(options.format as DesignFormat))
    throw new ConfigError(`unknown --format '${options.format}': use one of ${FORMATS.join(', ')}.`);
  let specText: string;
  try {
    specText = readFileSync(specPath, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read the spec ${specPath}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}. Pass the path of a design spec (see docs/spec.md and examples/).`,
    );
  }
  // A URL, or the name of a configured target, resolved the way the activities resolve it.
  const { modelDesign, SpecError } = await import('../../activities/modeling/index.js');
  const { redacted } = await import('../../config/targets.js');
  const { targetConnectionString } = await import('../../postgres/target.js');
  const url = options.target ? targetConnectionString(options.target, clientTargetVariables()) : undefined;
  if (url) process.stderr.write(`target: ${redacted(url)}\n`);
  let result: ModelDesignResult;
  try {
    result = await modelDesign(specText, {
      fileName: specPath,
      target: url ? { connectionString: url } : undefined,
      progress: (message) => process.stderr.write(`${message}...\n`),
    });
  } catch (error) {
    if (error instanceof SpecError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (options.out) writeDocuments(options.out, result);
  process.stdout.write(`${render(result, options.format as DesignFormat)}\n`);
  return 0;
}

function render(result: ModelDesignResult, format: DesignFormat): string {
  const { model, migration, verification, findings } = result;
  if (format === 'markdown') return result.documents.report;
  if (format === 'json') {
    const { ddl, erd, ...rest } = model;
    return JSON.stringify({ model: rest, ddl, erd, migration, verification, findings }, null, 2);
  }
  const lines = [
    `${model.name}: ${model.tables.length} tables, ${model.indexes.filter((i) => i.origin !== 'key').length} planned indexes, ${model.partitions.length} partitioned, ${model.policies.length} RLS policies`,
    ...(migration ? [`migration: ${migration.steps.length} steps up, ${migration.downSteps.length} down`] : []),
    ...(verification
      ? verification.patterns.map(
          (v) => `  ${v.verdict.padEnd(18)} ${v.pattern}${v.used.length > 0 ? ` (${v.used.join(', ')})` : ''}`,
        )
      : []),
    '',
    renderFindings(findings, 'text', {
      target: model.name,
      fingerprint: migration?.fingerprints.desired ?? 'not applied',
      tables: model.tables.length,
      indexes: model.indexes.length,
    }),
  ];
  return lines.join('\n');
}

const stepsSql = (steps: MigrationStep[]) => `${steps.map((s) => `-- ${s.name} (${s.kind})\n${s.sql}`).join('\n\n')}\n`;

function writeDocuments(directory: string, result: ModelDesignResult): void {
  mkdirSync(directory, { recursive: true });
  const files: Record<string, string> = {
    'schema.sql': result.documents.ddl,
    'erd.md': result.documents.erd,
    'index-plan.md': result.documents['index-plan'],
    'report.md': result.documents.report,
    ...(result.migration
      ? { 'up.sql': stepsSql(result.migration.steps), 'down.sql': stepsSql(result.migration.downSteps) }
      : {}),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(directory, name), content);
  process.stderr.write(`wrote ${Object.keys(files).join(', ')} to ${directory}\n`);
}

export function registerDesignCommand(program: Command): void {
  program
    .command('design')
    .description(
      'Turn a design spec (YAML, see docs/spec.md) into a schema: DDL, ERD, index plan with reasons, findings; with --target, the up and down migration to it and an EXPLAIN check of every access pattern.',
    )
    .argument('<spec>', 'the design spec, e.g. examples/ecommerce.yaml')
    .option(
      '--target <url|name>',
      'the database to migrate: postgres://user:password@host:port/db, or a configured target name',
    )
    .option('--format <format>', `output format: ${FORMATS.join(', ')}`, 'text')
    .option(
      '--out <dir>',
      'write schema.sql, erd.md, index-plan.md, report.md (and up.sql, down.sql with --target) to this directory',
    )
    .action(async (spec: string, options: DesignOptions) => {
      process.exitCode = await runDesign(spec, options);
    });
}
