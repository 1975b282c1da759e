import type { MigrationStep } from '../../../artifacts/migration';
import { parseStatementsSync, type ParsedStatement } from '../../../postgres/parse';
import { lockImpactsOf } from './impacts';
import { type Blocks, type LockContext, type LockImpact } from './model';

/** The locks of one step of a migration, and how long it blocks traffic in total. */
export interface StepLocks {
  step: MigrationStep;
  statements: ParsedStatement[];
  /** Per statement, in order. */
  impacts: LockImpact[][];
  /**
   * A transactional step holds every lock until it commits: traffic blocked by its first blocking
   * statement also waits for every statement after it. null when a size it depends on is unknown.
   */
  blockingSeconds: number | null;
  blocks: Blocks;
}

const rank: Record<Blocks, number> = { nothing: 0, writes: 1, 'reads+writes': 2 };

/** Lock impacts of a migration's steps, in order (needs loadParser() to have resolved). */
export function stepLocks(steps: MigrationStep[], context: LockContext): StepLocks[] {
  const parsed = steps.map((step) => parseStatementsSync(step.sql, step.name));
  const all = lockImpactsOf(parsed.flat(), context);
  let offset = 0;
  return steps.map((step, i) => {
    const statements = parsed[i]!;
    const impacts = all.slice(offset, offset + statements.length);
    offset += statements.length;
    let blocks: Blocks = 'nothing';
    let blockingSeconds: number | null = 0;
    impacts.forEach((statementImpacts, s) => {
      for (const impact of statementImpacts) {
        if (impact.blocks === 'nothing') continue;
        if (rank[impact.blocks] > rank[blocks]) blocks = impact.blocks;
        // Held from this statement to the end of the step (one statement for non-transactional and backfill steps).
        const held = impacts
          .slice(s)
          .map((later) =>
            later.length === 0 ? 0 : Math.max(...later.map((l) => (l.seconds === null ? NaN : l.seconds))),
          );
        const seconds = held.some(Number.isNaN) ? null : held.reduce((a, b) => a + b, 0);
        blockingSeconds =
          blockingSeconds === null || seconds === null
            ? null
            : Math.max(blockingSeconds, Math.round(seconds * 100) / 100);
      }
    });
    return { step, statements, impacts, blockingSeconds, blocks };
  });
}

/** Total blocking time of steps applied one after another; null when any is unknown. */
export function totalBlockingSeconds(steps: StepLocks[]): number | null {
  return steps.reduce<number | null>(
    (sum, s) => (sum === null || s.blockingSeconds === null ? null : Math.round((sum + s.blockingSeconds) * 100) / 100),
    0,
  );
}
