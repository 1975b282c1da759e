import { statSync } from 'node:fs';
import type { Command } from 'commander';
import type { ReportFormat } from '../../activities/review/report';
import { clientTargetVariables } from '../../config/environment';

interface ReviewOptions {
  target?: string;
  pgVersion?: string;
  format: ReportFormat;
}

/** `schemawright review FILE|DIR`: the review on its own, for a terminal or a CI job; exit 1 on errors or questions only people may answer. */
export function registerReviewCommand(program: Command): void {
  program
    .command('review')
    .description(
      'Review migration SQL (squawk and schemawright rules; with --target, a shadow verification); exits 1 when it finds errors or statements only people may allow (SW-ESC-PRIVILEGED).',
    )
    .argument(
      '<path>',
      'a migration file, or a directory of migrations (goose, sql-migrate, dbmate, golang-migrate, Flyway, diesel or Prisma layout)',
    )
    .option(
      '--target <url|name>',
      'the target, a PostgreSQL URL or a configured target name (its reader): its version, table sizes and column types (for the lock model), and a copy of its schema in the shadow sandbox where the given migrations (all taken as pending) are applied up, down and up again',
    )
    .option('--pg-version <version>', "the target's PostgreSQL version (e.g. 16 or 14.2) when there is no --target")
    .option(
      '--format <format>',
      'text, json, markdown, sarif (SARIF 2.1.0 for code scanning) or github (GitHub Actions annotations)',
      'text',
    )
    .action(async (path: string, options: ReviewOptions) => {
      const { REPORT_FORMATS, renderReport } = await import('../../activities/review/report.js');
      const { readMigrationFiles } = await import('../../artifacts/migration-files.js');
      const { reviewChange } = await import('../../activities/review/review-change.js');
      const { privileged } = await import('../../activities/review/escalations/SW-ESC-PRIVILEGED.js');
      if (!(REPORT_FORMATS as readonly string[]).includes(options.format)) {
        throw new Error(`--format ${options.format} is not known: use ${REPORT_FORMATS.join(', ')}.`);
      }
      const files = readMigrationFiles(path);
      // The target's catalog gives its version, and table sizes and column types for the lock model.
      const connection = { applicationName: 'schemawright-review', env: clientTargetVariables() };
      const catalog = options.target
        ? await (await import('../../postgres/target.js')).readTargetCatalog(options.target, connection)
        : undefined;
      const { report, escalations } = await reviewChange({
        files,
        catalog,
        pgVersion: options.pgVersion,
        target: options.target,
        connection,
      });
      // Paths in a directory's report are relative to it; CI tools resolve them from where the command ran.
      const base = statSync(path).isDirectory() ? path : '';
      console.log(renderReport({ ...report, escalations }, options.format, { base }));
      if (report.counts.error > 0 || escalations.some((escalation) => escalation.trigger === privileged.id))
        process.exitCode = 1;
    });
}
