import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { resolveTarget } from '../../config/targets';
import { appendAudit } from '../../store/audit';
import { getArtifact, putArtifact, type ArtifactRef } from '../../store/artifacts';
import type { Notification, RequestStatusView } from '../../workflows/design-request-messages';
import { targetFingerprint, analyzeTarget as analyzeNamedTarget } from '../analysis/target';
import type { Catalog } from '../../postgres/introspection';
import { applyMigrations, compareWithHistory, LockContentionError, MigrationChecksumError, MigrationFailedError, migrationsFromFiles, verifyApplied } from '../apply';
import type { Escalation } from '../../artifacts/escalation';
import type { Finding } from '../../artifacts/findings';
import type { Migration } from '../../artifacts/migration';
import { modelDesign } from '../modeling';
import { renderRequestReport } from '../report/request-report';
import { raiseEscalations } from '../review/escalations';
import { migrationName } from '../../artifacts/migration-files';
import { parsePgVersion } from '../../postgres/pg-version';
import { renderMigration } from '../review/render';
import { renderReport } from '../review/report';
import { tableSizesOf } from '../review/locks';
import { reviewMigration, summarize, type MigrationFile } from '../review/review';
import { verifyOnShadow } from '../../postgres/shadow';
import { withTarget } from '../../postgres/target';
import type { ApplyStopped, EscalationSummary, ModelingOutcome, RequestActivities } from '../contracts';
import { fixFileOf } from '../analysis/fixes';

export interface RequestActivityDependencies {
  store: Pool;
  /** Delivers notifications over the approvals channels (Slack, email); absent: notifications are only audited by the workflow. */
  notify?: (notification: Notification) => Promise<void>;
}

/**
 * The design-request workflow's activities: thin adapters that load artifacts, call the engines
 * (analysis, modeling, review, escalations, the runner), store what they produce and hand back refs.
 */
export function createRequestActivities({ store, notify }: RequestActivityDependencies): RequestActivities {
  const load = async <T>(ref: ArtifactRef): Promise<T> => JSON.parse((await getArtifact(store, ref.digest)).content) as T;
  const save = (kind: string, value: unknown) => putArtifact(store, kind, 'application/json', JSON.stringify(value));

  return {
    analyzeTarget: (input) => heartbeating(() => analyzeNamedTarget(store, input.target)),

    modelChange: (input) =>
      heartbeating(async () => {
        const catalog = await load<Catalog>(input.analysis.artifacts.catalog);
        const pgVersion = parsePgVersion(catalog.meta.serverVersion);
        const source = (await getArtifact(store, input.source.digest)).content;
        const artifacts: Record<string, ArtifactRef> = {};
        let migrations: Migration[];
        if (input.kind === 'design') {
          const design = await modelDesign(source, { fileName: 'spec.yaml', target: { connectionString: resolveTarget(input.target).connectionString } });
          for (const [name, text] of Object.entries(design.documents)) artifacts[name] = await putArtifact(store, name, name === 'ddl' ? 'application/sql' : 'text/markdown', text);
          artifacts['modeling-findings'] = await save('modeling-findings', design.findings);
          const { name, steps, downSteps } = design.migration!;
          migrations = [{ version: input.requestId, name, steps, down: asScript(downSteps.map((step) => step.sql)) }];
        } else {
          const files: MigrationFile[] =
            input.kind === 'review'
              ? [fixFileOf(await load<Finding[]>(input.analysis.artifacts.findings), input.requestId)]
              : input.source.format === 'migrations'
                ? (JSON.parse(source) as MigrationFile[])
                : [{ path: `${input.requestId}.sql`, up: source }];
          migrations = await migrationsFromFiles(files, pgVersion);
          // Pasted SQL and a review's fixes are this request's own migration; a directory keeps its files' versions.
          if (input.source.format !== 'migrations') migrations = migrations.map((migration) => ({ ...migration, version: input.requestId }));
          else migrations = await pendingOnTarget(resolveTarget(input.target).connectionString, migrations);
        }
        return { migration: await save('migrations', migrations), steps: migrations.reduce((n, m) => n + m.steps.length, 0), artifacts } satisfies ModelingOutcome;
      }),

    reviewChange: (input) =>
      heartbeating(async () => {
        const migrations = await load<Migration[]>(input.modeling.migration);
        const catalog = await load<Catalog>(input.analysis.artifacts.catalog);
        const files = migrations.map(fileOf);
        const report = await reviewMigration({ files, pgVersion: catalog.meta.serverVersion, tableSizes: tableSizesOf(catalog), catalog });
        const shadow = await withTarget(input.target, (_client, url) =>
          verifyOnShadow(url, files.map((file) => ({ name: migrationName(file.path), up: file.up, down: file.down, file: file.path }))),
        );
        const reviewed = summarize(report.pgVersion, report.files.map((file, i) => ({ ...file, findings: [...file.findings, ...shadow.findings.filter((f) => f.location?.file === files[i]!.path)] })));
        const unplaced = shadow.findings.filter((f) => !files.some((file) => file.path === f.location?.file));
        const findings = [...reviewed.findings, ...unplaced];
        const escalations = raiseEscalations({
          task: input.title,
          migration: { version: input.requestId, name: input.title, steps: migrations.flatMap((m) => m.steps) },
          report: reviewed,
          tableSizes: tableSizesOf(catalog),
          catalog,
          analysisFindings: await load<Finding[]>(input.analysis.artifacts.findings),
          modelingFindings: input.modeling.artifacts['modeling-findings'] ? await load<Finding[]>(input.modeling.artifacts['modeling-findings']) : [],
          pgVersion: parsePgVersion(report.pgVersion),
        });
        const summaries: EscalationSummary[] = [];
        for (const escalation of escalations) summaries.push(summaryOf(escalation, await save('escalation', escalation)));
        return {
          fingerprint: await targetFingerprint(input.target),
          escalations: summaries,
          errors: findings.filter((f) => f.severity === 'error').length,
          report: await putArtifact(store, 'review-report', 'text/markdown', renderReport({ ...reviewed, findings }, 'markdown')),
          artifacts: { 'review-findings': await save('review-findings', findings) },
        };
      }),

    renderChosenMigration: async (input) => {
      const migrations = await load<Migration[]>(input.migration);
      const escalations = await Promise.all(input.escalations.map((ref) => load<Escalation>(ref)));
      const rendered = migrations.map((migration, index) => {
        const names = new Set(migration.steps.map((step) => step.name));
        // Advice about no step (a materialized view, a grant) is rendered once, at the end of the last migration.
        const last = index === migrations.length - 1;
        const concerned = escalations.filter((e) => (e.steps.length === 0 ? last : e.steps.some((name) => names.has(name))));
        const choices = Object.fromEntries(concerned.filter((e) => input.choices[e.id]).map((e) => [e.id, input.choices[e.id]!]));
        return renderMigration(migration, concerned, choices);
      });
      return { migration: await save('chosen-migrations', rendered), steps: rendered.reduce((n, m) => n + m.steps.length, 0) };
    },

    checkDrift: async ({ target, fingerprint }) => {
      const current = await targetFingerprint(target);
      return { current, drifted: current !== fingerprint };
    },

    applyChange: (input) =>
      heartbeating(async (progress) => {
        const migrations = await load<Migration[]>(input.migration);
        const target = { name: input.target, connectionString: resolveTarget(input.target).connectionString };
        let audits = Promise.resolve();
        let auditFailure: unknown;
        const results = await applyMigrations(target, migrations, {
          requestId: input.requestId,
          decidedBy: input.decidedBy,
          ...input.limits,
          onProgress: (event) => {
            progress(event);
            if (event.status !== 'applied') return;
            // Chained, so entries keep the order of the steps; awaited before the activity completes. A
            // failure is kept for then: a rejected link left unhandled meanwhile would end the worker.
            audits = audits.then(() => appendAudit(store, { kind: 'step-applied', requestId: input.requestId, target: input.target, data: { ...event } })).then(
              () => undefined,
              (error: unknown) => void (auditFailure ??= error),
            );
          },
        }).catch(async (error: unknown) => {
          await audits;
          if (!(error instanceof LockContentionError || error instanceof MigrationFailedError)) throw error;
          // A person weighs these: the evidence goes to the store, its ref to the workflow.
          const evidence = await save('apply-stopped', { ...error, error: error.name, message: error.message });
          const details: ApplyStopped = { step: error.step, evidence };
          throw ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: true, details: [details] });
        });
        await audits;
        if (auditFailure) throw auditFailure;
        return {
          steps: results.reduce((n, r) => n + r.steps, 0),
          applied: results.reduce((n, r) => n + r.applied, 0),
          alreadyApplied: results.reduce((n, r) => n + r.alreadyApplied, 0),
          durationMs: results.reduce((n, r) => n + r.durationMs, 0),
        };
      }),

    verifyChange: (input) =>
      heartbeating(async () => {
        const migrations = await load<Migration[]>(input.migration);
        const target = { name: input.target, connectionString: resolveTarget(input.target).connectionString };
        // One migration after another: a directory of hundreds must not open hundreds of connections at once.
        const problems: string[] = [];
        for (const migration of migrations) problems.push(...(await verifyApplied(target, migration)));
        return { ok: problems.length === 0, fingerprint: await targetFingerprint(input.target), problems };
      }),

    writeReport: ({ status }) => putArtifact(store, 'request-report', 'text/markdown', renderRequestReport(status as RequestStatusView)),

    audit: async (entry) => {
      await appendAudit(store, entry);
    },

    // A channel that is down must not hold up or fail the request: the failure is audited instead.
    notify: async (notification) => {
      await notify?.(notification).catch((error: Error) =>
        appendAudit(store, { kind: 'notification-failed', requestId: notification.requestId, target: notification.status.target, data: { notification: notification.kind, recipients: notification.recipients, error: error.message } }),
      );
    },
  };
}

/**
 * A directory's migrations the target's history does not hold yet: review, shadow and approval are
 * about those. An applied file that was edited since stops the request here, before anyone is asked.
 */
async function pendingOnTarget(connectionString: string, migrations: Migration[]): Promise<Migration[]> {
  const history = await compareWithHistory(connectionString, migrations);
  const [edited] = history.edited;
  if (edited) throw new MigrationChecksumError(edited.version, edited.step, edited.recorded, edited.current, edited.file);
  return migrations.filter((migration) => history.pending.includes(migration.version));
}

/** What review reads: the file as written, or the steps of a migration made by modeling (whose down it wrote). */
function fileOf(migration: Migration): MigrationFile {
  return { path: migration.source ?? `${migration.name}.sql`, up: migration.up ?? asScript(migration.steps.map((step) => step.sql)), down: migration.down };
}

/** Statements as one script, each ended by one semicolon (a step's own may be there or not). */
function asScript(statements: string[]): string {
  return statements.map((sql) => `${sql.replace(/;\s*$/, '')};`).join('\n');
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

/**
 * Runs an activity's work while heartbeating, so a killed worker's activity is retried elsewhere
 * within the heartbeat timeout; `progress` sends the latest progress as the heartbeat's details.
 */
async function heartbeating<T>(work: (progress: (detail: unknown) => void) => Promise<T>): Promise<T> {
  const context = Context.current();
  let latest: unknown;
  const timer = setInterval(() => context.heartbeat(latest), 1000);
  try {
    return await work((detail) => {
      latest = detail;
      context.heartbeat(detail);
    });
  } finally {
    clearInterval(timer);
  }
}
