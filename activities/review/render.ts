import type { Escalation } from '../../artifacts/escalation';
import type { Migration, MigrationStep } from '../../artifacts/migration';

export class RenderError extends Error {
  override name = 'RenderError';
}

/** The statement slot of a step name derived from step `of` (`of.3`, `of.3~online1`, `of.0~backup`), or undefined. */
function slotOf(name: string, of: string): { index: number; kept: boolean } | undefined {
  if (!name.startsWith(`${of}.`)) return undefined;
  const match = /^(\d+)(~.*)?$/.exec(name.slice(of.length + 1));
  return match ? { index: Number(match[1]), kept: match[2] === undefined } : undefined;
}

/**
 * Two choices about one step, each as statement slots (see rebuildSteps): per statement, a
 * replacement wins over keeping it, and a statement either left out stays out. Two different
 * replacements of the same statement cannot both hold.
 */
function mergeSlots(
  step: string,
  current: MigrationStep[],
  chosen: MigrationStep[],
  escalationId: string,
): MigrationStep[] {
  const slots = (steps: MigrationStep[]) => {
    const bySlot = new Map<number, MigrationStep[]>();
    for (const s of steps)
      bySlot.set(slotOf(s.name, step)!.index, [...(bySlot.get(slotOf(s.name, step)!.index) ?? []), s]);
    return bySlot;
  };
  const a = slots(current);
  const b = slots(chosen);
  const kept = (list: MigrationStep[] | undefined) =>
    list !== undefined && list.length === 1 && slotOf(list[0]!.name, step)!.kept;
  const indexes = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  return indexes.flatMap((index) => {
    const [x, y] = [a.get(index), b.get(index)];
    // Slot 0 holds steps before the statements (a backup): only one side has them.
    if (index === 0 || (x === undefined && y === undefined)) return x ?? y ?? [];
    if (x === undefined || y === undefined) {
      if (kept(x) || kept(y)) return [];
    } else if (kept(x)) {
      return y;
    } else if (kept(y) || JSON.stringify(x) === JSON.stringify(y)) {
      return x;
    }
    throw new RenderError(
      `Statement ${index} of step ${step} is changed by '${escalationId}' and by an earlier choice: keep one of them as written.`,
    );
  });
}

/**
 * The migration the people chose: each escalation's `steps` replaced by the chosen option's
 * `replacement` (absent: kept as reviewed; empty: left out). An escalation about no step (advice
 * from analysis or modeling) adds its replacement at the end. Escalations without a choice keep
 * their steps. Choices about different statements of one step combine (see mergeSlots).
 */
export function renderMigration(
  migration: Migration,
  escalations: Escalation[],
  choices: Record<string, string>,
): Migration {
  const byId = new Map(escalations.map((e) => [e.id, e]));
  for (const [escalationId, optionId] of Object.entries(choices)) {
    const escalation = byId.get(escalationId);
    if (!escalation) {
      throw new RenderError(
        `No escalation '${escalationId}' in this review (it has: ${[...byId.keys()].join(', ') || 'none'}): choose among those, or review again if the migration changed.`,
      );
    }
    if (!escalation.options.some((o) => o.id === optionId)) {
      throw new RenderError(
        `Escalation '${escalationId}' has no option '${optionId}': choose one of ${escalation.options.map((o) => o.id).join(', ')}.`,
      );
    }
  }
  let steps: MigrationStep[] = [...migration.steps];
  for (const escalation of escalations) {
    const optionId = choices[escalation.id];
    const replacement = escalation.options.find((o) => o.id === optionId)?.replacement;
    if (optionId === undefined || replacement === undefined) continue;
    if (escalation.steps.length === 0) {
      steps.push(...replacement);
      continue;
    }
    for (const name of escalation.steps) {
      const own = replacement.filter((s) => slotOf(s.name, name) !== undefined);
      const at = steps.findIndex((s) => s.name === name || slotOf(s.name, name) !== undefined);
      if (at === -1) {
        throw new RenderError(
          `Escalation '${escalation.id}' refers to step ${name}, which migration ${migration.name} does not have: the escalations are from another review of it.`,
        );
      }
      const current = steps.filter((s) => slotOf(s.name, name) !== undefined);
      const merged = steps[at]!.name === name ? own : mergeSlots(name, current, own, escalation.id);
      steps = [
        ...steps.slice(0, at),
        ...merged,
        ...steps.slice(at).filter((s) => s.name !== name && slotOf(s.name, name) === undefined),
      ];
    }
  }
  const seen = new Set<string>();
  for (const step of steps) {
    if (seen.has(step.name))
      throw new RenderError(
        `Step name ${step.name} appears twice in the rendered migration: two chosen options add the same step; choose only one of them.`,
      );
    seen.add(step.name);
  }
  return {
    ...migration,
    steps: joinKeptStatements(
      steps,
      migration.steps.map((s) => s.name),
    ),
  };
}

/**
 * A choice cuts a transactional step into one step per statement. The statements it kept as
 * written, when next to each other, share one transaction again, as in the step they came from:
 * `b.1` and `b.2` become `b.1-2`.
 */
export function joinKeptStatements(steps: MigrationStep[], origins: string[]): MigrationStep[] {
  const out: MigrationStep[] = [];
  let run: { origin: string; first: number } | undefined;
  for (const step of steps) {
    const origin = step.kind === 'transactional' ? origins.find((o) => slotOf(step.name, o)?.kept) : undefined;
    const index = origin === undefined ? undefined : slotOf(step.name, origin)!.index;
    if (origin !== undefined && index !== undefined && run?.origin === origin) {
      const previous = out.pop()!;
      out.push({ ...previous, name: `${origin}.${run.first}-${index}`, sql: `${previous.sql}\n${step.sql}` });
      continue;
    }
    out.push(step);
    run = origin !== undefined && index !== undefined ? { origin, first: index } : undefined;
  }
  return out;
}
