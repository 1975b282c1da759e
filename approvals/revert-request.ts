import type { Pool } from 'pg';
import type { WorkflowHandle } from '@temporalio/client';
import { revertPlan, RevertRefusedError } from '../activities/apply/revert';
import type { Migration } from '../artifacts/migration';
import { DEFAULT_PG_VERSION } from '../postgres/pg-version';
import { getJson } from '../store/artifacts';
import { status, type RequestResult, type RevertOf } from '../workflows/design-request-messages';

/** The applied request a revert takes back: where it applied, and what. */
export interface RevertableRequest {
  target: string;
  environment: string;
  title: string;
  reverts: RevertOf;
}

/**
 * What a revert of request `requestId` takes back, or why it cannot: only a request that completed
 * with an apply can be reverted, and only with a down for all it applied that is not empty
 * (irreversible), parses and needs no rights beyond the database. The target's history is checked
 * again by the revert's modeling, on the target.
 */
export async function revertableRequest(
  handle: WorkflowHandle,
  store: Pool,
  requestId: string,
  reason: string,
): Promise<RevertableRequest | { problems: string[] }> {
  const refused = (problem: string) => ({ problems: [problem] });
  const described = await handle.describe().catch(() => undefined);
  if (!described) return refused(`no request ${requestId} to revert: check the id with \`schemawright list\``);
  // A request shows done a moment before its run closes (its last messages are still told): its view counts then.
  const applied = (
    described.status.name === 'RUNNING' ? await handle.query(status) : await handle.result().catch(() => undefined)
  ) as RequestResult | undefined;
  if (applied && applied.phase !== 'done')
    return refused(
      `request ${requestId} has not finished (it is ${applied.state}, phase ${applied.phase}): a revert takes back a completed request; cancel this one instead (\`schemawright cancel ${requestId}\`) or wait for it to end`,
    );
  if (!applied || applied.state !== 'completed')
    return refused(
      `request ${requestId} did not complete (it ended ${applied?.state ?? described.status.name.toLowerCase()}${applied?.outcome ? `: ${applied.outcome}` : ''}): only a completed request can be reverted; what a stopped apply left is in its outcome, fix it forward with a change request`,
    );
  if (applied.kind === 'revert')
    return refused(
      `request ${requestId} is itself a revert: to bring its change back, start a change request with the SQL it took back`,
    );
  const migration = applied.artifacts['render-migration'];
  if (!migration)
    return refused(
      `request ${requestId} completed without applying anything (${applied.outcome}): there is nothing to revert`,
    );
  const migrations = await getJson<Migration[]>(store, migration);
  // As if every step were still applied: the target's own history is read by the revert's modeling.
  const history = migrations.flatMap((m) =>
    m.steps.map((s) => ({
      version: m.version,
      name: m.name,
      step: s.name,
      kind: s.kind,
      checksum: '',
      status: 'applied' as const,
      requestId,
    })),
  );
  try {
    await revertPlan(migrations, history, requestId, DEFAULT_PG_VERSION);
  } catch (error) {
    if (error instanceof RevertRefusedError) return { problems: error.problems };
    throw error;
  }
  return {
    target: applied.target,
    environment: applied.environment,
    title: `Revert ${requestId}: ${applied.title}`,
    reverts: { requestId, migration, reason },
  };
}
