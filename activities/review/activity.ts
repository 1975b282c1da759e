import type { Pool } from 'pg';
import type { Escalation } from '../../artifacts/escalation';
import type { Finding } from '../../artifacts/findings';
import type { MigrationFile } from '../../artifacts/migration-files';
import { asScript, type Migration } from '../../artifacts/migration';
import type { Catalog } from '../../postgres/introspection';
import { getJson, putArtifact, putJson, type ArtifactRef } from '../../store/artifacts';
import type { EscalationSummary, RenderInput, RequestActivities } from '../contracts';
import { heartbeating } from '../heartbeat';
import { renderMigration } from './render';
import { renderReport } from './report';
import { reviewChange } from './review-change';
import { revertQuestion } from './revert-question';

/** The review activities: the review pipeline over the stored migrations and catalog, and the migration rendered with the chosen options. */
export function createReviewActivities(store: Pool): Pick<RequestActivities, 'reviewChange' | 'renderChosenMigration'> {
  return {
    reviewChange: (input) =>
      heartbeating(async () => {
        const migrations = await getJson<Migration[]>(store, input.modeling.migration);
        const modelingFindings = input.modeling.artifacts['modeling-findings'];
        const review = await reviewChange({
          files: migrations.map(fileOf),
          catalog: await getJson<Catalog>(store, input.analysis.artifacts.catalog),
          target: input.target,
          request: {
            task: input.title,
            version: input.requestId,
            steps: migrations.flatMap((m) => m.steps),
            analysisFindings: await getJson<Finding[]>(store, input.analysis.artifacts.findings),
            modelingFindings: modelingFindings ? await getJson<Finding[]>(store, modelingFindings) : [],
          },
        });
        // A revert always asks its own question first, whatever else review raised.
        const escalations = input.reverts
          ? [
              revertQuestion({
                reverts: input.reverts,
                migrations,
                findings: review.findings,
                escalations: review.escalations,
              }),
              ...review.escalations,
            ]
          : review.escalations;
        const summaries: EscalationSummary[] = [];
        for (const escalation of escalations)
          summaries.push(summaryOf(escalation, await putJson(store, 'escalation', escalation)));
        return {
          // What was reviewed is the catalog analysis read: the apply checks the target is still that schema.
          fingerprint: input.analysis.fingerprint,
          escalations: summaries,
          errors: review.findings.filter((f) => f.severity === 'error').length,
          report: await putArtifact(
            store,
            'review-report',
            'text/markdown',
            renderReport({ ...review.report, findings: review.findings, escalations }, 'markdown'),
          ),
          artifacts: { 'review-findings': await putJson(store, 'review-findings', review.findings) },
        };
      }),

    renderChosenMigration: (input) =>
      heartbeating(async () => {
        const { migration, steps } = await renderChosen(store, input);
        return { migration, steps };
      }),
  };
}

/**
 * The migrations rendered with the chosen options, stored; returned too, for an apply that runs them
 * at once (activities/apply/reviewed-apply.ts) instead of reading back what was just written.
 */
export async function renderChosen(
  store: Pool,
  input: RenderInput,
): Promise<{ migrations: Migration[]; migration: ArtifactRef; steps: number }> {
  const chosen = await getJson<Migration[]>(store, input.migration);
  const escalations = await Promise.all(input.escalations.map((ref) => getJson<Escalation>(store, ref)));
  const rendered = chosen.map((migration, index) => {
    const names = new Set(migration.steps.map((step) => step.name));
    // Advice about no step (a materialized view, a grant) is rendered once, at the end of the last migration.
    const last = index === chosen.length - 1;
    const concerned = escalations.filter((e) =>
      e.steps.length === 0 ? last : e.steps.some((name) => names.has(name)),
    );
    const choices = Object.fromEntries(
      concerned.filter((e) => input.choices[e.id]).map((e) => [e.id, input.choices[e.id]!]),
    );
    return renderMigration(migration, concerned, choices);
  });
  // What is applied is what the artifact holds: the stored text, read back.
  const content = JSON.stringify(rendered);
  return {
    migrations: JSON.parse(content) as Migration[],
    migration: await putArtifact(store, 'chosen-migrations', 'application/json', content),
    steps: rendered.reduce((n, m) => n + m.steps.length, 0),
  };
}

/** What review reads: the file as written, or the steps of a migration made by modeling (whose down it wrote). */
function fileOf(migration: Migration): MigrationFile {
  return {
    path: migration.source ?? `${migration.name}.sql`,
    up: migration.up ?? asScript(migration.steps.map((step) => step.sql)),
    down: migration.down,
    ...(migration.upOutsideTransaction ? { upOutsideTransaction: true } : {}),
  };
}

function summaryOf(escalation: Escalation, ref: ArtifactRef): EscalationSummary {
  return {
    id: escalation.id,
    trigger: escalation.trigger,
    problem: escalation.problem,
    options: escalation.options.map(({ id, title, risk, blockingSeconds }) => ({ id, title, risk, blockingSeconds })),
    recommendation: escalation.recommendation,
    escalation: ref,
  };
}
