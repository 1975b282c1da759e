import type { AlterTableCmd, ColumnDef, Constraint } from '@pgsql/types';
import { alterTableCommands, findNodes, names, nodeOf, relationName, statementOf } from '../../../postgres/ast';
import { catalogColumn, isBinaryCoercible, shapeOfFormatted, shapeOfTypeName } from './column-types';
import {
  catalogTable,
  strongest,
  type LockContext,
  type LockMode,
  type StatementLockModel,
  type TableWork,
} from './model';

/**
 * Functions a column default may call without forcing a rewrite on PostgreSQL 11+: stable or
 * immutable ones are evaluated once and stored as the "missing value". Any other function may be
 * volatile (random(), gen_random_uuid(), nextval(), clock_timestamp()) and is assumed to be.
 */
const NON_VOLATILE_FUNCTIONS = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_timestamp',
  'current_date',
  'localtimestamp',
  'lower',
  'upper',
  'length',
  'coalesce',
  'concat',
  'make_interval',
  'make_date',
  'to_timestamp',
  'to_jsonb',
  'jsonb_build_object',
  'jsonb_build_array',
  'json_build_object',
  'array_fill',
  'timezone',
  'date_trunc',
]);

const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

interface CommandWork {
  lock: LockMode;
  rewrites?: boolean;
  scans?: number;
  indexBuilds?: number;
  /** Tables a new, validated foreign key references: locked SHARE ROW EXCLUSIVE and scanned. */
  references?: string[];
  /** A table attached as a partition: locked ACCESS EXCLUSIVE and scanned for its bound. */
  attached?: string[];
  notes?: string[];
}

function constraintsOf(columnDef: ColumnDef): Constraint[] {
  return (columnDef.constraints ?? []).flatMap((c) => nodeOf(c, 'Constraint') ?? []);
}

function volatileCall(expression: unknown): string | undefined {
  for (const call of findNodes(expression, 'FuncCall')) {
    const name = names(call.funcname).pop() ?? '';
    if (!NON_VOLATILE_FUNCTIONS.has(name)) return name;
  }
  return undefined;
}

/** What a constraint added to an existing table costs: a validation scan or an index build. */
function constraintWork(constraint: Constraint): CommandWork {
  const notValid = constraint.skip_validation === true;
  switch (constraint.contype) {
    case 'CONSTR_FOREIGN': {
      const referenced = relationName(constraint.pktable) ?? '?';
      return notValid
        ? { lock: 'SHARE ROW EXCLUSIVE', notes: ['NOT VALID: existing rows are not checked'] }
        : {
            lock: 'SHARE ROW EXCLUSIVE',
            scans: 1,
            references: [referenced],
            notes: [`validates every row against ${referenced}`],
          };
    }
    case 'CONSTR_CHECK':
      return notValid
        ? { lock: 'ACCESS EXCLUSIVE', notes: ['NOT VALID: existing rows are not checked'] }
        : { lock: 'ACCESS EXCLUSIVE', scans: 1, notes: ['the CHECK is verified on every row'] };
    case 'CONSTR_PRIMARY':
    case 'CONSTR_UNIQUE':
    case 'CONSTR_EXCLUSION':
      return constraint.indexname
        ? { lock: 'ACCESS EXCLUSIVE', notes: ['USING INDEX: the index is already built'] }
        : { lock: 'ACCESS EXCLUSIVE', indexBuilds: 1, notes: ['builds its index while holding the lock'] };
    case 'CONSTR_NOTNULL':
      return { lock: 'ACCESS EXCLUSIVE', scans: 1 };
    default:
      return { lock: 'ACCESS EXCLUSIVE' };
  }
}

function addColumnWork(columnDef: ColumnDef, context: LockContext): CommandWork {
  const constraints = constraintsOf(columnDef);
  const type = shapeOfTypeName(columnDef.typeName).name;
  const defaultExpr = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr;
  const notes: string[] = [];
  let rewrites = false;
  if (SERIAL_TYPES.has(type)) {
    rewrites = true;
    notes.push(`${type} fills every row from nextval(): the table is rewritten`);
  } else if (
    constraints.some(
      (c) => c.contype === 'CONSTR_IDENTITY' || (c.contype === 'CONSTR_GENERATED' && c.generated_kind === 's'),
    )
  ) {
    rewrites = true;
    notes.push('an identity or stored generated column computes a value per row: the table is rewritten');
  } else if (defaultExpr !== undefined) {
    const volatile = volatileCall(defaultExpr);
    if (context.pgVersion.major < 11) {
      rewrites = true;
      notes.push('before PostgreSQL 11 a column with a default is written into every row');
    } else if (volatile) {
      rewrites = true;
      notes.push(`the default calls ${volatile}(), volatile or of unknown volatility: the table is rewritten`);
    } else {
      notes.push('a non-volatile default is stored once in the catalog (PostgreSQL 11+): no rewrite');
    }
  }
  const added = constraints.filter(
    (c) =>
      c.contype !== 'CONSTR_DEFAULT' &&
      c.contype !== 'CONSTR_IDENTITY' &&
      c.contype !== 'CONSTR_GENERATED' &&
      c.contype !== 'CONSTR_NULL',
  );
  // A NOT NULL column with a default is filled by that default: nothing to verify.
  const checked = added.filter((c) => !(c.contype === 'CONSTR_NOTNULL' && defaultExpr !== undefined));
  return checked.map(constraintWork).reduce(merge, { lock: 'ACCESS EXCLUSIVE', rewrites, notes });
}

function alterTypeWork(table: string, column: string, columnDef: ColumnDef, context: LockContext): CommandWork {
  const to = shapeOfTypeName(columnDef.typeName);
  if (columnDef.raw_default !== undefined)
    return {
      lock: 'ACCESS EXCLUSIVE',
      rewrites: true,
      notes: [`${column}: a USING expression recomputes every row: the table is rewritten`],
    };
  const current = catalogColumn(context.catalog, table, column);
  if (!current)
    return {
      lock: 'ACCESS EXCLUSIVE',
      rewrites: true,
      notes: [`${column}: its current type is unknown (no catalog): a rewrite is assumed`],
    };
  const from = shapeOfFormatted(current.type);
  if (isBinaryCoercible(from, to))
    return {
      lock: 'ACCESS EXCLUSIVE',
      notes: [
        `${column}: ${current.type} → ${to.name}${to.mods.length ? `(${to.mods.join(',')})` : ''} is binary-coercible: no rewrite`,
      ],
    };
  return {
    lock: 'ACCESS EXCLUSIVE',
    rewrites: true,
    notes: [
      `${column}: ${current.type} → ${to.name} converts every value: the table is rewritten and its indexes rebuilt`,
    ],
  };
}

/** Whether a validated CHECK (column IS NOT NULL) lets SET NOT NULL skip its scan (PostgreSQL 12+). */
function notNullProven(table: string, column: string, context: LockContext, proven: ReadonlySet<string>): boolean {
  if (context.pgVersion.major < 12) return false;
  if (proven.has(`${table}.${column}`)) return true;
  const known = catalogTable(context.catalog, table);
  return Boolean(
    known?.constraints.some(
      (c) => c.kind === 'check' && c.validated && c.definition === `CHECK ((${column} IS NOT NULL))`,
    ),
  );
}

function commandWork(
  table: string,
  cmd: AlterTableCmd,
  context: LockContext,
  proven: ReadonlySet<string>,
): CommandWork {
  const column = String(cmd.name);
  switch (cmd.subtype) {
    case 'AT_AddColumn': {
      const columnDef = nodeOf(cmd.def, 'ColumnDef');
      return columnDef ? addColumnWork(columnDef, context) : { lock: 'ACCESS EXCLUSIVE' };
    }
    case 'AT_AlterColumnType':
      return alterTypeWork(table, column, nodeOf(cmd.def, 'ColumnDef') ?? {}, context);
    case 'AT_SetNotNull':
      return notNullProven(table, column, context, proven)
        ? {
            lock: 'ACCESS EXCLUSIVE',
            notes: [`${column}: a validated CHECK (${column} IS NOT NULL) proves it: no scan (PostgreSQL 12+)`],
          }
        : { lock: 'ACCESS EXCLUSIVE', scans: 1, notes: [`${column}: SET NOT NULL reads every row`] };
    case 'AT_AddConstraint': {
      const constraint = nodeOf(cmd.def, 'Constraint');
      return constraint ? constraintWork(constraint) : { lock: 'ACCESS EXCLUSIVE' };
    }
    case 'AT_ValidateConstraint':
      return {
        lock: 'SHARE UPDATE EXCLUSIVE',
        scans: 1,
        notes: ['VALIDATE reads every row without blocking reads or writes'],
      };
    case 'AT_SetStatistics':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
      return { lock: 'SHARE UPDATE EXCLUSIVE' };
    case 'AT_EnableTrig':
    case 'AT_DisableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
    case 'AT_EnableTrigAll':
    case 'AT_DisableTrigAll':
    case 'AT_EnableTrigUser':
    case 'AT_DisableTrigUser':
      return { lock: 'SHARE ROW EXCLUSIVE' };
    case 'AT_SetLogged':
    case 'AT_SetUnLogged':
    case 'AT_SetTableSpace':
    case 'AT_SetAccessMethod':
      return { lock: 'ACCESS EXCLUSIVE', rewrites: true, notes: ['the table is copied whole'] };
    case 'AT_AttachPartition': {
      const partition = relationName(nodeOf(cmd.def, 'PartitionCmd')?.name);
      return {
        lock: context.pgVersion.major >= 12 ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE',
        attached: partition ? [partition] : [],
      };
    }
    case 'AT_DetachPartition':
      return nodeOf(cmd.def, 'PartitionCmd')?.concurrent
        ? { lock: 'SHARE UPDATE EXCLUSIVE' }
        : { lock: 'ACCESS EXCLUSIVE' };
    default:
      // Catalog-only changes (DROP COLUMN, SET/DROP DEFAULT, DROP NOT NULL, DROP CONSTRAINT, OWNER, ...).
      return { lock: 'ACCESS EXCLUSIVE' };
  }
}

function merge(a: CommandWork, b: CommandWork): CommandWork {
  return {
    lock: strongest(a.lock, b.lock),
    rewrites: Boolean(a.rewrites || b.rewrites),
    scans: (a.scans ?? 0) + (b.scans ?? 0),
    indexBuilds: (a.indexBuilds ?? 0) + (b.indexBuilds ?? 0),
    references: [...(a.references ?? []), ...(b.references ?? [])],
    attached: [...(a.attached ?? []), ...(b.attached ?? [])],
    notes: [...(a.notes ?? []), ...(b.notes ?? [])],
  };
}

/**
 * ALTER TABLE: the strongest lock of its subcommands (the manual's "Notes" on ALTER TABLE), one
 * rewrite for all of them when any rewrites (the checks then ride on it), otherwise one pass per
 * validation. A validated foreign key also locks the referenced table for as long.
 */
export function alterTableWork(proven: ReadonlySet<string>): StatementLockModel {
  return (statement, context) => {
    const table = relationName(statementOf(statement, 'AlterTableStmt')?.relation);
    if (!table) return [];
    const work = alterTableCommands(statement)
      .map((cmd) => commandWork(table, cmd, context, proven))
      .reduce(merge);
    // One scan suffices for all the new constraints when no rewrite happens (ATRewriteTables' phase 3).
    const scans = work.rewrites ? 0 : Math.min(work.scans ?? 0, 1);
    const own: TableWork = {
      table,
      lock: work.lock,
      rewrites: work.rewrites,
      scans,
      indexBuilds: work.indexBuilds,
      notes: work.notes,
    };
    const referenced = [...new Set(work.references)].filter((r) => r !== table);
    const attached = (work.attached ?? []).map(
      (partition): TableWork => ({
        table: partition,
        lock: 'ACCESS EXCLUSIVE',
        scans: 1,
        notes: ['scanned for its partition bound unless a CHECK constraint proves it'],
      }),
    );
    return [
      own,
      ...referenced.map(
        (r): TableWork => ({
          table: r,
          lock: 'SHARE ROW EXCLUSIVE',
          scans: 1,
          heldFor: table,
          notes: [`referenced by a new foreign key of ${table}`],
        }),
      ),
      ...attached,
    ];
  };
}

/** `CHECK (col IS NOT NULL)` added valid, or a VALIDATE of one added NOT VALID: lets a later SET NOT NULL skip its scan. */
export function provenNotNullColumns(
  statementTable: string | undefined,
  cmds: AlterTableCmd[],
  pendingChecks: Map<string, string>,
): string[] {
  if (!statementTable) return [];
  const proven: string[] = [];
  for (const cmd of cmds) {
    const def = nodeOf(cmd.def, 'Constraint');
    if (cmd.subtype === 'AT_AddConstraint' && def?.contype === 'CONSTR_CHECK') {
      const test = nodeOf(def.raw_expr, 'NullTest');
      const column =
        test?.nulltesttype === 'IS_NOT_NULL' ? names(nodeOf(test.arg, 'ColumnRef')?.fields).pop() : undefined;
      if (!column) continue;
      if (def.skip_validation) pendingChecks.set(`${statementTable}:${def.conname}`, column);
      else proven.push(`${statementTable}.${column}`);
    }
    if (cmd.subtype === 'AT_ValidateConstraint') {
      const column = pendingChecks.get(`${statementTable}:${cmd.name}`);
      if (column) proven.push(`${statementTable}.${column}`);
    }
  }
  return proven;
}
