import type { Command } from 'commander';
import { readTargetCatalog } from '../../postgres/target';
import { readMigrationFiles } from '../../artifacts/migration-files';
import { renderReport, type ReportFormat } from '../../activities/review/report';
import { reviewChange } from '../../activities/review/review-change';

interface ReviewOptions {
  target?: string;
  pgVersion?: string;
  format: ReportFormat;
}

/** `schemawright review FILE|DIR`: the review on its own, for a terminal or a CI job; exit 1 on errors. */
export function registerReviewCommand(program: Command): void {
  program
    .command('review')
    .description('Review migration SQL (squawk and schemawright rules; with --target, a shadow verification); exits 1 when it finds errors.')
    .argument('<path>', 'a migration file, or a directory of migrations (golang-migrate, dbmate, Flyway or diesel layout)')
    .option('--target <url|name>', 'the target, a PostgreSQL URL or a configured target name: its version, table sizes and column types (for the lock model), and a shadow database on its server where the given migrations (all taken as pending) are applied up, down and up again')
    .option('--pg-version <version>', "the target's PostgreSQL version (e.g. 16 or 14.2) when there is no --target")
    .option('--format <format>', 'text, json or markdown', 'text')
    .action(async (path: string, options: ReviewOptions) => {
      if (!['text', 'json', 'markdown'].includes(options.format)) {
        throw new Error(`--format ${options.format} is not known: use text, json or markdown.`);
      }
      const files = readMigrationFiles(path);
      // The target's catalog gives its version, and table sizes and column types for the lock model.
      const catalog = options.target ? await readTargetCatalog(options.target, { applicationName: 'schemawright-review' }) : undefined;
      const { report, copyGaps } = await reviewChange({ files, catalog, pgVersion: options.pgVersion, target: options.target, connection: { applicationName: 'schemawright-review' } });
      for (const gap of copyGaps) {
        console.error(`schemawright: the shadow database lacks an object of the target (${gap.error}); findings about it may be missing or spurious.`);
      }
      console.log(renderReport(report, options.format));
      if (report.counts.error > 0) process.exitCode = 1;
    });
}
