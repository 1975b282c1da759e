import type { Command } from 'commander';
import type { PlanFormat } from '../../activities/review/plan';
import { clientTargetVariables, ConfigError } from '../../config/environment';

interface PlanOptions {
  target?: string;
  pgVersion?: string;
  format: string;
}

/** `schemawright plan FILE|DIR`: the steps the runner will apply, each with its locks and estimated blocking time. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      'Show the ordered steps of migrations as they would be applied: transactional or not, the lock each takes per table, and the estimated blocking time (table sizes from --target).',
    )
    .argument(
      '<path>',
      'a migration file, or a directory of migrations (goose, sql-migrate, dbmate, golang-migrate, Flyway, diesel or Prisma layout)',
    )
    .option(
      '--target <name|url>',
      'a configured target name (or a URL): its version, table sizes and column types are read (read-only)',
    )
    .option('--pg-version <version>', "the target's PostgreSQL version (e.g. 16 or 14.2) when there is no --target")
    .option('--format <format>', 'text or json', 'text')
    .action(async (path: string, options: PlanOptions) => {
      if (!['text', 'json'].includes(options.format))
        throw new ConfigError(`--format ${options.format} is not known: use text or json.`);
      const { readMigrationFiles } = await import('../../artifacts/migration-files.js');
      const { planMigrations, renderPlan } = await import('../../activities/review/plan.js');
      const files = readMigrationFiles(path);
      const catalog = options.target
        ? await (await import('../../postgres/target.js')).readTargetCatalog(options.target, {
            applicationName: 'schemawright-plan',
            env: clientTargetVariables(),
          })
        : undefined;
      const plan = await planMigrations(files, { pgVersion: options.pgVersion, catalog });
      console.log(renderPlan(plan, options.format as PlanFormat));
    });
}
