import { qualified, quoteIdent } from '../../../postgres/names';
import type { Escalation, EscalationOption } from '../../../artifacts/escalation';
import type { MigrationStep } from '../../../artifacts/migration';
import { alterTableCommands, body, droppedObjects, findNodes, relationName } from '../../../postgres/ast';
import { formatSeconds } from '../locks';
import { isBinaryCoercible, shapeOfFormatted, shapeOfTypeName, type TypeShape } from '../locks/column-types';
import {
  blockingOf,
  catalogTable,
  deferOption,
  groupSharingSteps,
  rebuildSteps,
  slotName,
  sizeOf,
  statementsInSteps,
  statementsOf,
  uniqueSteps,
  type LocatedStatement,
} from './context';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-DESTRUCTIVE';

/** What a statement destroys: the object (`schema.table` or `schema.table.column`), the table holding the data, and how. */
export interface DestructiveChange {
  object: string;
  table: string;
  kind: 'drop table' | 'drop column' | 'truncate' | 'narrow type';
  /** For a narrowing: the column and the new type as written. */
  column?: string;
  newType?: string;
  newShape?: TypeShape;
}

const narrowingPairs = new Set([
  'int8>int4',
  'int8>int2',
  'int4>int2',
  'float8>float4',
  'timestamptz>date',
  'timestamp>date',
  'numeric>int4',
  'numeric>int8',
  'numeric>int2',
]);

/** Whether changing `from` to `to` can lose or reject stored values: a shorter length, a lower precision, a smaller integer, text to anything else. */
function narrows(from: TypeShape, to: TypeShape): boolean {
  if (isBinaryCoercible(from, to)) return false;
  if (from.name === to.name)
    return to.mods.length > 0 && (from.mods.length === 0 || to.mods.some((m, i) => m < (from.mods[i] ?? 0)));
  if ((from.name === 'text' || from.name === 'varchar') && to.name !== 'text' && to.name !== 'varchar') return true;
  if (from.name === 'text' && to.name === 'varchar') return to.mods.length > 0;
  return narrowingPairs.has(`${from.name}>${to.name}`);
}

/** The destructive changes of one statement on a table that holds data (a known-empty table loses nothing). */
export function destructiveChanges(located: LocatedStatement, context: EscalationContext): DestructiveChange[] {
  const { statement } = located;
  const stmt = body(statement);
  const changes: DestructiveChange[] = [];
  const holdsData = (table: string) =>
    located.impacts.find((i) => i.table === sizeOf(context, table).table)?.rows !== 0;
  if (statement.kind === 'DropStmt' && stmt.removeType === 'OBJECT_TABLE') {
    for (const name of droppedObjects(statement))
      changes.push({ object: sizeOf(context, name).table, table: name, kind: 'drop table' });
  }
  if (statement.kind === 'TruncateStmt') {
    for (const r of findNodes(stmt.relations, 'RangeVar'))
      changes.push({ object: sizeOf(context, relationName(r)!).table, table: relationName(r)!, kind: 'truncate' });
  }
  const table = relationName(stmt.relation);
  if (table) {
    for (const cmd of alterTableCommands(statement)) {
      if (cmd.subtype === 'AT_DropColumn')
        changes.push({
          object: `${sizeOf(context, table).table}.${String(cmd.name)}`,
          table,
          kind: 'drop column',
          column: String(cmd.name),
        });
      const def = cmd.def && 'ColumnDef' in cmd.def ? cmd.def.ColumnDef : undefined;
      if (cmd.subtype === 'AT_AlterColumnType' && def) {
        const current = catalogTable(context, table)?.columns.find((c) => c.name === cmd.name);
        const to = shapeOfTypeName(def.typeName);
        if (current && narrows(shapeOfFormatted(current.type), to)) {
          const newType = `${to.name}${to.mods.length ? `(${to.mods.join(',')})` : ''}`;
          changes.push({
            object: `${sizeOf(context, table).table}.${String(cmd.name)}`,
            table,
            kind: 'narrow type',
            column: String(cmd.name),
            newType,
            newShape: to,
          });
        }
      }
    }
  }
  return changes.filter((c) => holdsData(c.table));
}

/** Used by SW-ESC-MIGRATION-DOWNTIME: a destructive statement is escalated here, once. */
export function destructiveChange(located: LocatedStatement, context: EscalationContext): boolean {
  return destructiveChanges(located, context).length > 0;
}

/** One copy per table the changes touch (a dropped column is kept with its whole table): its table as written, and the copy's name. */
function backups(changes: DestructiveChange[], version: string): { table: string; copy: string }[] {
  const byTable = new Map(changes.map((c) => [c.object.split('.').slice(0, 2).join('.'), c.table]));
  return [...byTable].map(([object, table]) => ({
    table,
    copy: `sw_backup.${quoteIdent(`${object.replace(/\./g, '_')}_${version}`.slice(0, 63))}`,
  }));
}

function backupStep(changes: DestructiveChange[], context: EscalationContext, name: string): MigrationStep {
  const copies = backups(changes, context.migration.version);
  return {
    kind: 'transactional',
    name,
    sql: [
      'CREATE SCHEMA IF NOT EXISTS sw_backup;',
      ...copies.map((b) => `CREATE TABLE ${b.copy} AS TABLE ${qualified(b.table)};`),
    ].join('\n'),
    undo: copies.map((b) => `DROP TABLE IF EXISTS ${b.copy};`).join('\n'),
  };
}

/** The first half of a two-step deprecation: keep the data, mark or guard it; the destructive half goes in a later migration. */
function deprecation(change: DestructiveChange, context: EscalationContext, name: string): MigrationStep | undefined {
  const note = `'deprecated by migration ${context.migration.name}: drop in a later migration once nothing reads it'`;
  switch (change.kind) {
    case 'drop table':
      return {
        kind: 'transactional',
        name,
        sql: `COMMENT ON TABLE ${qualified(change.table)} IS ${note}`,
        undo: `COMMENT ON TABLE ${qualified(change.table)} IS NULL`,
      };
    case 'drop column':
      return {
        kind: 'transactional',
        name,
        sql: `COMMENT ON COLUMN ${qualified(change.table)}.${quoteIdent(change.column!)} IS ${note}`,
        undo: `COMMENT ON COLUMN ${qualified(change.table)}.${quoteIdent(change.column!)} IS NULL`,
      };
    case 'narrow type': {
      // New values must already fit the narrower type; existing ones are fixed before the type changes in a later migration.
      const column = quoteIdent(change.column!);
      const check = quoteIdent(`${change.table.split('.').pop()}_${change.column}_fits_check`.slice(0, 63));
      const shape = change.newShape!;
      const fits =
        shape.name === 'varchar' && shape.mods.length
          ? `char_length(${column}) <= ${shape.mods[0]}`
          : `${column}::${change.newType} IS NOT NULL`;
      return {
        kind: 'transactional',
        name,
        sql: `ALTER TABLE ${qualified(change.table)} ADD CONSTRAINT ${check} CHECK (${column} IS NULL OR ${fits}) NOT VALID`,
        undo: `ALTER TABLE ${qualified(change.table)} DROP CONSTRAINT IF EXISTS ${check}`,
      };
    }
    case 'truncate':
      return undefined;
  }
}

function escalationFor(
  group: { objects: string[]; items: { located: LocatedStatement; changes: DestructiveChange[] }[] },
  context: EscalationContext,
): Escalation {
  const stepNames = [...new Set(group.items.map((i) => i.located.step.name))];
  const inSteps = statementsInSteps(context, stepNames);
  const asWritten = uniqueSteps(inSteps);
  const changes = group.items.flatMap((i) => i.changes);
  const rows = changes.map((c) => sizeOf(context, c.table).rows);
  const what = changes.map((c) => `${c.kind} ${c.object}`).join(', ');
  const written = blockingOf(asWritten, context);
  const options: EscalationOption[] = [
    {
      id: 'proceed-with-backup',
      title: 'Proceed, with a backup copy first',
      summary: `Copy the data into schema sw_backup (${backups(changes, context.migration.version)
        .map((b) => b.copy)
        .join(', ')}), then run the migration as written.`,
      impact: {
        performance: `A full read of the table(s) for the copy (no blocking lock), then as written (blocking about ${formatSeconds(written ?? 0)}).`,
        consistency: 'Rows written between the copy and the change are not in the copy.',
        scalability: 'The copy takes as much space as the data until someone drops it.',
      },
      risk: 'medium',
      blockingSeconds: written,
      replacement: rebuildSteps(
        inSteps,
        () => undefined,
        (step) => (step === asWritten[0] ? [backupStep(changes, context, `${step.name}.0~backup`)] : []),
      ),
    },
  ];
  const deprecations = new Map(
    group.items.map((i) => [
      i.located,
      i.changes.map((c, n) => deprecation(c, context, `${slotName(i.located)}~deprecate${n ? n + 1 : ''}`)),
    ]),
  );
  if ([...deprecations.values()].flat().every((d) => d !== undefined)) {
    const replacement = rebuildSteps(inSteps, (s) => deprecations.get(s) as MigrationStep[] | undefined);
    options.push({
      id: 'two-step-deprecation',
      title: 'Two-step deprecation',
      summary:
        'Keep the data now: mark it deprecated (or, for a narrowing, refuse new values that would not fit), stop using it in the application, and make the destructive change in a later migration.',
      impact: {
        performance: 'Nothing blocks now; the old data keeps its storage until the second step.',
        consistency: 'Nothing is lost; a rollback of the application still finds its data.',
        scalability: 'Two migrations and a release in between instead of one.',
      },
      risk: 'low',
      blockingSeconds: blockingOf(replacement, context),
      replacement,
    });
  }
  options.push(
    deferOption(
      'cancel',
      'Cancel the destructive change',
      'Leave these statements out: the data stays as it is.',
      {
        performance: 'No impact.',
        consistency: 'Nothing changes; whatever the change was for does not happen.',
        scalability: 'The unused data keeps its storage.',
      },
      inSteps,
      new Set(group.items.map((i) => i.located.statement)),
      context,
    ),
  );
  const twoStep = options.some((o) => o.id === 'two-step-deprecation');
  return {
    id: `${ID}:${group.objects.join('+')}`,
    trigger: ID,
    task: context.task,
    problem: `The migration ${what}: ${rows.every((r) => r !== null) ? `${rows.reduce((a, b) => a! + b!, 0)!.toLocaleString('en')} row(s) of data` : 'data'} no database operation brings back.`,
    attempted: [
      'Checked the table sizes: the table(s) hold data.',
      'Looked for a reversible form: a backup copy, or a deprecation that keeps the data until a later migration.',
    ],
    options,
    recommendation: twoStep
      ? {
          optionId: 'two-step-deprecation',
          reason: 'It keeps every option open: the data is still there if the application or the decision changes.',
        }
      : {
          optionId: 'proceed-with-backup',
          reason: 'There is no non-destructive first step for this change; a copy makes it recoverable.',
        },
    principles: [
      'Data integrity: never lose data without an owner for the decision',
      'Reversibility: prefer changes that can be undone',
    ],
    evidence: { changes: changes.map(({ newShape: _shape, ...c }) => c), rows },
    steps: stepNames,
  };
}

export const destructive: EscalationTrigger = {
  id: ID,
  explanation:
    'DROP TABLE, DROP COLUMN, TRUNCATE and narrowing a column type destroy data that no down migration can bring back. ' +
    'A person decides: proceed with a backup, deprecate in two steps, or cancel.',
  remedy:
    'Pick one option: proceed with a backup copy taken first, deprecate in two steps (stop using it now, drop it in ' +
    'a later migration), or cancel the destructive change.',
  raise(context) {
    const items = statementsOf(context).flatMap((located) => {
      const changes = destructiveChanges(located, context);
      return changes.length ? [{ located, changes, objects: changes.map((c) => c.object) }] : [];
    });
    return groupSharingSteps(items).map((group) => escalationFor(group, context));
  },
  examples: {
    fires: [
      {
        title: 'dropping a column of a table with data',
        sql: 'ALTER TABLE customers DROP COLUMN fax',
        tableSizes: { 'public.customers': { rows: 1_000, bytes: 1e6 } },
        ids: [`${ID}:public.customers.fax`],
      },
      {
        title: 'dropping a table whose size is unknown',
        sql: 'DROP TABLE legacy_events',
        ids: [`${ID}:public.legacy_events`],
      },
      {
        title: 'TRUNCATE',
        sql: 'TRUNCATE audit_log',
        tableSizes: { 'public.audit_log': { rows: 5, bytes: 8192 } },
        ids: [`${ID}:public.audit_log`],
      },
    ],
    quiet: [
      {
        title: 'dropping an empty table',
        sql: 'DROP TABLE scratch',
        tableSizes: { 'public.scratch': { rows: 0, bytes: 8192 } },
        ids: [],
      },
      {
        title: 'a table created and dropped in the same migration',
        sql: 'CREATE TABLE tmp (id int);\nDROP TABLE tmp',
        ids: [],
      },
      {
        title: 'a widening type change',
        sql: 'ALTER TABLE customers ALTER COLUMN name TYPE text',
        tableSizes: { 'public.customers': { rows: 1_000, bytes: 1e6 } },
        ids: [],
      },
    ],
  },
};
