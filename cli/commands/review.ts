import type { Command } from 'commander';
import { basename } from 'node:path';
import { introspect } from '../../activities/analysis/introspection';
import { raiseEscalations } from '../../activities/review/escalations';
import { privileged } from '../../activities/review/escalations/SW-ESC-PRIVILEGED';
import { migrationName, readMigrationFiles } from '../../activities/review/migration-files';
import { parsePgVersion } from '../../activities/review/pg-version';
import { applyRoleOf } from '../../activities/review/privileged/apply-role';
import { renderReport, type ReportFormat } from '../../activities/review/report';
import { placedIn, reviewMigration, summarize } from '../../activities/review/review';
import { verifyOnShadow } from '../../activities/review/shadow';
import { tableSizesOf } from '../../activities/review/locks';
import { readTarget, targetConnectionString } from '../target';

interface ReviewOptions {
  target?: string;
  pgVersion?: string;
  format: ReportFormat;
}

/** `schemawright review FILE|DIR`: the review on its own, for a terminal or a CI job; exit 1 on errors or questions for people. */
export function registerReviewCommand(program: Command): void {
  program
    .command('review')
    .description('Review migration SQL (squawk and schemawright rules; with --target, a shadow verification); exits 1 when it finds errors or statements only people may allow (SW-ESC-PRIVILEGED).')
    .argument('<path>', 'a migration file, or a directory of migrations (golang-migrate, dbmate, Flyway or diesel layout)')
    .option('--target <url|name>', 'the target, a PostgreSQL URL or a configured target name: its version, table sizes and column types (for the lock model), and a shadow database on its server where the given migrations (all taken as pending) are applied up, down and up again')
    .option('--pg-version <version>', "the target's PostgreSQL version (e.g. 16 or 14.2) when there is no --target")
    .option('--format <format>', 'text, json or markdown', 'text')
    .action(async (path: string, options: ReviewOptions) => {
      if (!['text', 'json', 'markdown'].includes(options.format)) {
        throw new Error(`--format ${options.format} is not known: use text, json or markdown.`);
      }
      const files = readMigrationFiles(path);
      // The target's catalog gives its version, and table sizes and column types for the lock model;
      // the apply role's rights say who would run statements that need more than the database.
      const target = options.target
        ? await readTarget(options.target, 'review', async (client, url) => ({ catalog: await introspect(client, { statements: 0 }), applyRole: await applyRoleOf(client, url) }))
        : undefined;
      const catalog = target?.catalog;
      const pgVersion = catalog ? catalog.meta.serverVersion : options.pgVersion;
      let report = await reviewMigration({ files, pgVersion, catalog, tableSizes: catalog && tableSizesOf(catalog) });
      if (options.target) {
        const shadow = await verifyOnShadow(
          targetConnectionString(options.target),
          files.map((f) => ({ name: migrationName(f.path), up: f.up, down: f.down, file: f.path })),
        );
        // What the copy could not reproduce concerns every file: reported once, with the first.
        report = summarize(
          report.pgVersion,
          report.files.map((f, i) => ({ ...f, findings: [...f.findings, ...placedIn(f.path, shadow.findings), ...(i === 0 ? shadow.copyGaps : [])] })),
        );
      }
      const escalations = raiseEscalations(
        {
          task: `review of ${basename(path)}`,
          migration: { version: '0', name: basename(path), steps: report.files.flatMap((f) => f.steps) },
          report,
          tableSizes: catalog ? tableSizesOf(catalog) : {},
          catalog,
          analysisFindings: [],
          modelingFindings: [],
          pgVersion: parsePgVersion(report.pgVersion),
          applyRole: target?.applyRole,
        },
        [privileged],
      );
      console.log(renderReport({ ...report, escalations }, options.format));
      if (report.counts.error > 0 || escalations.length > 0) process.exitCode = 1;
    });
}
