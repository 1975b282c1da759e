import type { Pool } from 'pg';
import type { Finding } from '../../artifacts/findings';
import { ApplicationFailure } from '@temporalio/activity';
import { layoutProblems, type MigrationFile } from '../../artifacts/migration-files';
import { asScript, type Migration } from '../../artifacts/migration';
import { resolveTarget } from '../../config/targets';
import type { Catalog } from '../../postgres/introspection';
import { parsePgVersion } from '../../postgres/pg-version';
import { migrationsFromFiles } from '../../postgres/steps';
import { getArtifact, getJson, putArtifact, putJson, type ArtifactRef } from '../../store/artifacts';
import type { ModelingOutcome, RequestActivities } from '../contracts';
import { heartbeating } from '../heartbeat';
import { modelDesign } from '.';

export interface ModelingDependencies {
  store: Pool;
  /** A review request's proposal: the analysis findings' mechanical fixes, as one file (analysis/fixes.ts). */
  fixFileOf: (findings: Finding[], requestId: string) => MigrationFile;
  /** A directory's migrations the target has not applied yet; stops at an applied file edited since (apply/import.ts). */
  pendingOnTarget: (target: string, migrations: Migration[]) => Promise<Migration[]>;
  /** A revert's migrations: the downs of what `reverts` applied, once the target shows it still there (apply/revert.ts). */
  revertOf: (target: string, applied: Migration[], reverts: string, revertId: string) => Promise<Migration[]>;
}

/**
 * The modeling activity: a request's migrations from its source, over the catalog analysis stored.
 * A design is modeled; pasted SQL, a directory and a review's fixes are cut into steps as written.
 * What other phases know (the fixes, the applied history) comes in from activities/index.ts.
 */
export function createModelingActivities({
  store,
  fixFileOf,
  pendingOnTarget,
  revertOf,
}: ModelingDependencies): Pick<RequestActivities, 'modelChange'> {
  return {
    modelChange: (input) =>
      heartbeating(async () => {
        const catalog = await getJson<Catalog>(store, input.analysis.artifacts.catalog);
        const pgVersion = parsePgVersion(catalog.meta.serverVersion);
        const source = (await getArtifact(store, input.source.digest)).content;
        const artifacts: Record<string, ArtifactRef> = {};
        let migrations: Migration[];
        if (input.reverts) {
          const applied = await getJson<Migration[]>(store, input.reverts.migration);
          migrations = await revertOf(input.target, applied, input.reverts.requestId, input.requestId);
        } else if (input.kind === 'design') {
          const design = await modelDesign(source, {
            fileName: input.source.name ?? 'spec.yaml',
            target: { connectionString: resolveTarget(input.target).readConnectionString, catalog },
          });
          for (const [name, text] of Object.entries(design.documents))
            artifacts[name] = await putArtifact(
              store,
              name,
              name === 'ddl' ? 'application/sql' : 'text/markdown',
              text,
            );
          artifacts['modeling-findings'] = await putJson(store, 'modeling-findings', design.findings);
          const { name, steps, downSteps } = design.migration!;
          migrations = [{ version: input.requestId, name, steps, down: asScript(downSteps.map((step) => step.sql)) }];
        } else {
          const files: MigrationFile[] =
            input.kind === 'review'
              ? [fixFileOf(await getJson<Finding[]>(store, input.analysis.artifacts.findings), input.requestId)]
              : input.source.format === 'migrations'
                ? (JSON.parse(source) as MigrationFile[])
                : [{ path: input.source.name ?? `${input.requestId}.sql`, up: source }];
          // Kickoff refuses these; a request started before it checked them fails once, saying why, not five times.
          const layout = layoutProblems(files);
          if (layout.length)
            throw ApplicationFailure.nonRetryable(
              `the migrations cannot be applied as given: ${layout.join('; ')}`,
              'MigrationLayoutError',
            );
          migrations = await migrationsFromFiles(files, pgVersion);
          // Pasted SQL and a review's fixes are this request's own migration; a directory keeps its files' versions.
          if (input.source.format !== 'migrations')
            migrations = migrations.map((migration) => ({ ...migration, version: input.requestId }));
          else migrations = await pendingOnTarget(input.target, migrations);
        }
        return {
          migration: await putJson(store, 'migrations', migrations),
          steps: migrations.reduce((n, m) => n + m.steps.length, 0),
          artifacts,
        } satisfies ModelingOutcome;
      }),
  };
}
