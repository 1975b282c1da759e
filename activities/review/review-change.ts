import type { Escalation } from '../../artifacts/escalation';
import type { Finding } from '../../artifacts/findings';
import { migrationName, type MigrationFile } from '../../artifacts/migration-files';
import type { MigrationStep } from '../../artifacts/migration';
import type { Catalog } from '../../postgres/introspection';
import { parsePgVersion } from '../../postgres/pg-version';
import type { TargetOptions } from '../../postgres/target';
import { raiseEscalations } from './escalations';
import { tableSizesOf } from './locks';
import { placedIn, reviewMigration, summarize, type ReviewReport } from './review';

export interface ChangeReviewInput {
  files: MigrationFile[];
  /** The target's catalog: its version, and table sizes and column types for the lock model. */
  catalog?: Catalog;
  /** `16`, `14.2`: the version to review for when there is no catalog. */
  pgVersion?: string;
  /** The target (a configured name or a URL) on whose server a shadow database verifies the migrations; none, no shadow. */
  target?: string;
  connection?: TargetOptions;
  /** What escalations weigh beyond the SQL: a request's task and migration steps as applied, and the findings before review. */
  request?: {
    task: string;
    version: string;
    steps: MigrationStep[];
    analysisFindings: Finding[];
    modelingFindings: Finding[];
  };
}

export interface ChangeReview {
  /**
   * squawk, rules and lock model, with the shadow's findings placed in the file they concern (a down's
   * with its up) and what the shadow's copy of the target could not reproduce with the first file.
   */
  report: ReviewReport;
  /** The report's findings and the shadow's findings that concern no file. */
  findings: Finding[];
  escalations: Escalation[];
}

/**
 * The review phase, once for the workflow and for `schemawright review`: squawk, our rules and the
 * lock model over the files; with a target, the shadow verification merged in; then escalations.
 * Each caller shows what it needs of the result.
 */
export async function reviewChange(input: ChangeReviewInput): Promise<ChangeReview> {
  const { files, catalog } = input;
  const tableSizes = catalog && tableSizesOf(catalog);
  const written = await reviewMigration({
    files,
    pgVersion: catalog?.meta.serverVersion ?? input.pgVersion,
    tableSizes,
    catalog,
  });
  const target = input.target;
  const verified = target ? await verifyWithTarget(target, files, input.connection, catalog) : undefined;
  const shadow = verified?.shadow ?? { findings: [], copyGaps: [] };
  // What the copy could not reproduce concerns every file: reported once, with the first.
  const report = summarize(
    written.pgVersion,
    written.files.map((file, i) => ({
      ...file,
      findings: [...file.findings, ...placedIn(file.path, shadow.findings), ...(i === 0 ? shadow.copyGaps : [])],
    })),
  );
  const unplaced = shadow.findings.filter((f) => !files.some((file) => placedIn(file.path, [f]).length > 0));
  const request = input.request ?? {
    task: files.map((file) => file.path).join(', '),
    version: '',
    steps: report.files.flatMap((file) => file.steps),
    analysisFindings: [],
    modelingFindings: [],
  };
  const escalations = raiseEscalations({
    task: request.task,
    migration: { version: request.version, name: request.task, steps: request.steps },
    report,
    tableSizes: tableSizes ?? {},
    catalog,
    analysisFindings: request.analysisFindings,
    modelingFindings: request.modelingFindings,
    pgVersion: parsePgVersion(report.pgVersion),
    applyRole: verified?.applyRole,
  });
  return { report, findings: [...report.findings, ...unplaced], escalations };
}

/**
 * The shadow verification and who would apply, loaded only with a target: a review of files alone
 * (`schemawright review` in CI) needs neither a PostgreSQL client nor the sandbox server.
 */
async function verifyWithTarget(
  target: string,
  files: MigrationFile[],
  connection: TargetOptions | undefined,
  reviewed: Catalog | undefined,
) {
  const { targetConnectionString, withTarget } = await import('../../postgres/target.js');
  const { verifyOnShadow } = await import('../../postgres/shadow.js');
  const { applyRoleOf } = await import('../../postgres/privileged/apply-role.js');
  return await withTarget(
    target,
    async (client, url) => ({
      // Who would run the approved migration: SW-ESC-PRIVILEGED names that role and its rights.
      applyRole: await applyRoleOf(client, targetConnectionString(target, connection?.env, 'apply')),
      shadow: await verifyOnShadow(
        url,
        files.map((file) => ({
          name: migrationName(file.path),
          up: file.up,
          down: file.down,
          file: file.path,
          upOutsideTransaction: file.upOutsideTransaction,
        })),
        undefined,
        reviewed,
      ),
    }),
    connection,
  );
}
