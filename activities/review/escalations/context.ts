import type { Catalog, Table } from '../../../postgres/introspection';
import type { EscalationOption } from '../../../artifacts/escalation';
import type { Finding } from '../../../artifacts/findings';
import type { MigrationStep } from '../../../artifacts/migration';
import { stepLocks, totalBlockingSeconds, type LockContext, type LockImpact, type StepLocks } from '../locks';
import { catalogTable as catalogTableOf, resolveSize } from '../locks/model';
import { parseStatementsSync, type ParsedStatement } from '../../../postgres/parse';
import { terminated } from '../../../postgres/steps';
import type { EscalationContext } from './trigger';

/*
 * What triggers read from their context (the migration's statements in their steps with their
 * locks, table sizes, catalog tables, findings and their evidence) and the steps their options are
 * built from.
 */

/** One statement of the migration, where it sits and the locks it takes. */
export interface LocatedStatement {
  step: MigrationStep;
  statement: ParsedStatement;
  /** Position within its step. */
  index: number;
  impacts: LockImpact[];
}

export function lockContextOf(context: EscalationContext): LockContext {
  return { pgVersion: context.pgVersion, tableSizes: context.tableSizes, catalog: context.catalog };
}

const located = new WeakMap<EscalationContext, LocatedStatement[]>();

/** Every statement of the migration with its step and lock impacts (computed once per context). */
export function statementsOf(context: EscalationContext): LocatedStatement[] {
  let found = located.get(context);
  if (!found) {
    found = stepLocks(context.migration.steps, lockContextOf(context)).flatMap((s) =>
      s.statements.map((statement, index) => ({ step: s.step, statement, index, impacts: s.impacts[index]! })),
    );
    located.set(context, found);
  }
  return found;
}

/**
 * The given steps with some statements replaced, as statement slots: statement i (from 1) of step S
 * becomes step `S.i` when kept, or the replacement's steps, named `S.i~...`, when replaced; steps
 * that must come before all of S are named `S.0~...`. Slots let renderMigration combine choices of
 * different escalations about different statements of one step. `replace` returns undefined to keep
 * a statement, [] to leave it out.
 */
export function rebuildSteps(
  statements: LocatedStatement[],
  replace: (statement: LocatedStatement) => MigrationStep[] | undefined,
  before?: (step: MigrationStep) => MigrationStep[],
): MigrationStep[] {
  const out: MigrationStep[] = [];
  for (const step of [...new Set(statements.map((s) => s.step))]) {
    out.push(...(before?.(step) ?? []));
    for (const located of statements.filter((s) => s.step === step)) {
      const replacement = replace(located);
      const sql = step.kind === 'transactional' ? terminated(located.statement) : located.statement.sql;
      out.push(
        ...(replacement ?? [
          { kind: step.kind, name: slotName(located), sql, ...(step.batchSize ? { batchSize: step.batchSize } : {}) },
        ]),
      );
    }
  }
  return out;
}

/** `S.i`: the slot of a statement in its step. Replacement steps append `~what`. */
export function slotName(located: LocatedStatement): string {
  return `${located.step.name}.${located.index + 1}`;
}

/** How long reads or writes wait if these steps run, from the lock model. */
export function blockingOf(steps: MigrationStep[], context: EscalationContext): number | null {
  return totalBlockingSeconds(stepLocks(steps, lockContextOf(context)));
}

export function stepLocksOf(steps: MigrationStep[], context: EscalationContext): StepLocks[] {
  return stepLocks(steps, lockContextOf(context));
}

/** The catalog's table for a written name, if the catalog has it. */
export function catalogTable(context: { catalog?: Catalog }, name: string): Table | undefined {
  return catalogTableOf(context.catalog, name);
}

export function sizeOf(
  context: EscalationContext,
  name: string,
): { table: string; rows: number | null; bytes: number | null } {
  return resolveSize(name, context.tableSizes);
}

/**
 * The option that leaves the escalated statements out of the migration; the other statements of their
 * steps stay, and the summary names them: "applies nothing" would be untrue while they run.
 */
export function deferOption(
  id: string,
  title: string,
  summary: string,
  consequences: { performance: string; consistency: string; scalability: string },
  inSteps: LocatedStatement[],
  concerned: ReadonlySet<ParsedStatement>,
  context: EscalationContext,
): EscalationOption {
  const replacement = rebuildSteps(inSteps, (s) => (concerned.has(s.statement) ? [] : undefined));
  const kept = inSteps.filter((s) => !concerned.has(s.statement)).map((s) => s.statement.sql.split('\n')[0]);
  const applied = kept.length
    ? `Still applied from the same steps: ${kept.join('; ')}.`
    : 'Nothing else of the same steps is applied.';
  return {
    id,
    title,
    summary: `${summary} ${applied} The rest of the migration is applied as reviewed.`,
    impact: consequences,
    risk: 'low',
    blockingSeconds: blockingOf(replacement, context),
    replacement,
  };
}

/** The findings of one id, from analysis and modeling. */
export function findingsOf(context: EscalationContext, id: string): Finding[] {
  return [...context.analysisFindings, ...context.modelingFindings].filter((f) => f.id === id);
}

/** Groups statements by object, merging groups that share a step: render replaces whole steps, so no step may be in two escalations of a trigger. */
export function groupSharingSteps<T extends { located: LocatedStatement; objects: string[] }>(
  items: T[],
): { objects: string[]; items: T[] }[] {
  const result: { objects: string[]; items: T[] }[] = [];
  for (const item of items) {
    const joined = result.filter(
      (g) =>
        g.objects.some((o) => item.objects.includes(o)) || g.items.some((i) => i.located.step === item.located.step),
    );
    for (const g of joined) result.splice(result.indexOf(g), 1);
    result.push({
      objects: [...new Set([...joined.flatMap((g) => g.objects), ...item.objects])].sort(),
      items: [...joined.flatMap((g) => g.items), item],
    });
  }
  return result;
}

/** The statements of the given steps, in order: what a replacement of those steps must reproduce or replace. */
export function statementsInSteps(context: EscalationContext, stepNames: string[]): LocatedStatement[] {
  return statementsOf(context).filter((s) => stepNames.includes(s.step.name));
}

/** The steps as written, once each, in order. */
export function uniqueSteps(statements: LocatedStatement[]): MigrationStep[] {
  return [...new Set(statements.map((s) => s.step))];
}

/** A step an advice escalation adds at the end of the migration (its `steps` are empty): named after the escalation so names stay unique. */
export function addedStep(
  context: EscalationContext,
  escalationId: string,
  sql: string,
  undo?: string,
  kind: MigrationStep['kind'] = 'transactional',
): MigrationStep {
  return {
    kind,
    name: `${context.migration.name}~${escalationId.replace(/^SW-ESC-/, '').toLowerCase()}`,
    sql,
    ...(undo ? { undo } : {}),
  };
}

/** A number from a finding's evidence, or undefined. */
export function numberOf(evidence: Record<string, unknown> | undefined, key: string): number | undefined {
  const value = evidence?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** `15 minutes`, `1h`, `24 hours`, `1 day`, `0` → seconds; undefined when unreadable. */
export function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 's').toLowerCase()[0]!;
  return Number(match[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[unit]!;
}

/** A string from a finding's evidence, or undefined. */
export function textOf(evidence: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = evidence?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The pattern as a SELECT statement when it is one (modeling may give SQL or prose). */
export function selectOf(pattern: string | undefined): string | undefined {
  if (!pattern) return undefined;
  try {
    const statements = parseStatementsSync(pattern);
    return statements.length === 1 && statements[0]!.kind === 'SelectStmt' ? statements[0]!.sql : undefined;
  } catch {
    return undefined;
  }
}

/** `a_b_c` from table names, for objects named after a pattern. */
export function joinedName(tables: string[]): string {
  return tables
    .map((t) => t.split('.').pop())
    .join('_')
    .slice(0, 50);
}
