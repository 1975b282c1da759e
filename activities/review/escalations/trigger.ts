import type { Catalog, Table } from '../../../postgres/introspection';
import type { Escalation, EscalationOption } from '../../../artifacts/escalation';
import type { Finding } from '../../../artifacts/findings';
import type { Migration, MigrationStep } from '../../../artifacts/migration';
import { stepLocks, totalBlockingSeconds, type LockContext, type LockImpact, type StepLocks } from '../locks';
import { catalogTable as catalogTableOf, resolveSize } from '../locks/model';
import { parseStatements, parseStatementsSync, type ParsedStatement } from '../../../postgres/parse';
import { DEFAULT_PG_VERSION, parsePgVersion, type PgVersion } from '../../../postgres/pg-version';
import type { ReviewReport, TableSizes } from '../review';
import { stepsAsWritten, terminated } from '../../../postgres/steps';

export interface EscalationContext {
  task: string;
  migration: Migration;
  report?: ReviewReport;
  tableSizes: TableSizes;
  catalog?: Catalog;
  analysisFindings: Finding[];
  modelingFindings: Finding[];
  pgVersion: PgVersion;
}

/** One example of a trigger, run as a test: the input, and the escalation ids it must raise (none for a quiet one). */
export interface TriggerExample {
  title: string;
  /** The migration's up SQL as written. */
  sql?: string;
  tableSizes?: TableSizes;
  catalog?: Catalog;
  analysisFindings?: Finding[];
  modelingFindings?: Finding[];
  pgVersion?: string;
  ids: string[];
}

/**
 * One escalation trigger of DESIGN.md's catalogue, in its own file named after its id: when a person
 * must own a trade-off, it raises an escalation with real options. `examples` run as tests.
 */
export interface EscalationTrigger {
  id: string;
  explanation: string;
  raise(context: EscalationContext): Escalation[];
  examples: { fires: TriggerExample[]; quiet: TriggerExample[] };
}

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
      out.push(...(replacement ?? [{ kind: step.kind, name: slotName(located), sql, ...(step.batchSize ? { batchSize: step.batchSize } : {}) }]));
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

export function sizeOf(context: EscalationContext, name: string): { table: string; rows: number | null; bytes: number | null } {
  return resolveSize(name, context.tableSizes);
}

/** The option that leaves the escalated statements out of the migration; the other statements of their steps stay. */
export function deferOption(
  id: string,
  title: string,
  summary: string,
  consequences: { performance: string; consistency: string; scalability: string },
  inSteps: LocatedStatement[],
  concerned: ReadonlySet<ParsedStatement>,
): EscalationOption {
  return { id, title, summary, impact: consequences, risk: 'low', blockingSeconds: null, replacement: rebuildSteps(inSteps, (s) => (concerned.has(s.statement) ? [] : undefined)) };
}

/** The context of an example: its SQL cut into steps as the review would. */
export async function exampleContext(example: TriggerExample): Promise<EscalationContext> {
  const pgVersion = example.pgVersion ? parsePgVersion(example.pgVersion) : DEFAULT_PG_VERSION;
  const statements = await parseStatements(example.sql ?? '', '0001_change.sql');
  return {
    task: 'example',
    migration: { version: '0001', name: '0001_change', steps: stepsAsWritten('0001_change', statements, pgVersion) },
    tableSizes: example.tableSizes ?? {},
    catalog: example.catalog,
    analysisFindings: example.analysisFindings ?? [],
    modelingFindings: example.modelingFindings ?? [],
    pgVersion,
  };
}

/** A finding for examples: only what triggers read. */
export function exampleFinding(id: string, object: string, evidence: Record<string, unknown>): Finding {
  return { id, source: 'schemawright', severity: 'warning', object, message: `${id} on ${object}`, why: 'example', evidence };
}

/** The findings of one id, from analysis and modeling. */
export function findingsOf(context: EscalationContext, id: string): Finding[] {
  return [...context.analysisFindings, ...context.modelingFindings].filter((f) => f.id === id);
}

/** Groups statements by object, merging groups that share a step: render replaces whole steps, so no step may be in two escalations of a trigger. */
export function groupSharingSteps<T extends { located: LocatedStatement; objects: string[] }>(items: T[]): { objects: string[]; items: T[] }[] {
  const result: { objects: string[]; items: T[] }[] = [];
  for (const item of items) {
    const joined = result.filter((g) => g.objects.some((o) => item.objects.includes(o)) || g.items.some((i) => i.located.step === item.located.step));
    for (const g of joined) result.splice(result.indexOf(g), 1);
    result.push({ objects: [...new Set([...joined.flatMap((g) => g.objects), ...item.objects])].sort(), items: [...joined.flatMap((g) => g.items), item] });
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
export function addedStep(context: EscalationContext, escalationId: string, sql: string, undo?: string, kind: MigrationStep['kind'] = 'transactional'): MigrationStep {
  return { kind, name: `${context.migration.name}~${escalationId.replace(/^SW-ESC-/, '').toLowerCase()}`, sql, ...(undo ? { undo } : {}) };
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

/** A catalog with the given tables and nothing else, for examples: columns as `name: format_type`. */
export function exampleCatalog(tables: Record<string, { columns: Record<string, string>; primaryKey?: string[]; partitioning?: Table['partitioning'] }>): Catalog {
  const now = '2026-01-01T00:00:00Z';
  return {
    meta: { database: 'example', serverVersion: '18.0', serverVersionNum: 180000, introspectedAt: now },
    schemas: ['public'],
    extensions: [],
    enums: [],
    views: [],
    sequences: [],
    stats: { statsResetAt: null, serverStartedAt: now, statements: null },
    tables: Object.entries(tables).map(([key, t]) => ({
      schema: key.split('.')[0]!,
      name: key.split('.')[1]!,
      kind: 'table',
      persistence: 'permanent',
      columns: Object.entries(t.columns).map(([name, type]) => ({
        name, type, baseType: type, nullable: !t.primaryKey?.includes(name), default: null, identity: null, generated: null, serialSequence: null, collation: null, securityLabels: {},
      })),
      constraints: t.primaryKey
        ? [{ name: `${key.split('.')[1]}_pkey`, kind: 'primary key', columns: t.primaryKey, definition: `PRIMARY KEY (${t.primaryKey.join(', ')})`, references: null, validated: true, deferrable: false, inherited: false }]
        : [],
      indexes: [],
      triggers: [],
      policies: [],
      rowSecurity: false,
      forceRowSecurity: false,
      partitioning: t.partitioning ?? null,
      partitionOf: null,
      comment: null,
      stats: { rowEstimate: null, liveTuples: 0, deadTuples: 0, tableBytes: 0, totalBytes: 0, seqScans: 0, seqTuplesRead: 0, idxScans: 0, lastAnalyzedAt: null },
    })),
  };
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
  return tables.map((t) => t.split('.').pop()).join('_').slice(0, 50);
}
