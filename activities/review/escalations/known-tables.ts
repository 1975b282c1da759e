import { alterTableCommands, body, findNodes, isObject, names, relationName, type Json } from '../../../postgres/ast';
import { sizeOf, statementsOf } from './context';
import type { EscalationContext } from './trigger';

/** What escalations need to know of a table, from the target's catalog or the migration that creates it. */
export interface KnownTable {
  /** `schema.table`. */
  name: string;
  columns: string[];
  primaryKey: string[];
  foreignKeys: { columns: string[]; references: string; refColumns: string[] }[];
  /** Leading key columns of each index (primary and unique keys included). */
  indexes: string[][];
  /** A partitioned table: PostgreSQL builds no index on it CONCURRENTLY. */
  partitioned: boolean;
}

function fromCreate(create: Json, table: string, context: EscalationContext): KnownTable {
  const known: KnownTable = {
    name: table,
    columns: [],
    primaryKey: [],
    foreignKeys: [],
    indexes: [],
    partitioned: isObject(create.partspec),
  };
  const foreignKey = (constraint: { pktable?: unknown; pk_attrs?: unknown }, columns: string[]) =>
    known.foreignKeys.push({
      columns,
      references: sizeOf(context, relationName(constraint.pktable) ?? '').table,
      refColumns: names(constraint.pk_attrs),
    });
  for (const element of Array.isArray(create.tableElts) ? create.tableElts : []) {
    if (!isObject(element)) continue;
    if (isObject(element.ColumnDef)) {
      const column = String(element.ColumnDef.colname);
      known.columns.push(column);
      for (const constraint of findNodes(element.ColumnDef.constraints, 'Constraint')) {
        if (constraint.contype === 'CONSTR_PRIMARY') known.primaryKey = [column];
        if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE')
          known.indexes.push([column]);
        if (constraint.contype === 'CONSTR_FOREIGN') foreignKey(constraint, [column]);
      }
    }
    if (isObject(element.Constraint)) {
      const constraint = element.Constraint;
      if (constraint.contype === 'CONSTR_PRIMARY') known.primaryKey = names(constraint.keys);
      if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE')
        known.indexes.push(names(constraint.keys));
      if (constraint.contype === 'CONSTR_FOREIGN') foreignKey(constraint, names(constraint.fk_attrs));
    }
  }
  return known;
}

/** The tables of the target and of the migration (its CREATE TABLEs, added foreign keys and indexes), by `schema.table`. */
export function knownTables(context: EscalationContext): Map<string, KnownTable> {
  const tables = new Map<string, KnownTable>();
  for (const t of context.catalog?.tables ?? []) {
    const name = `${t.schema}.${t.name}`;
    tables.set(name, {
      name,
      columns: t.columns.map((c) => c.name),
      primaryKey: t.constraints.find((c) => c.kind === 'primary key')?.columns ?? [],
      foreignKeys: t.constraints
        .filter((c) => c.kind === 'foreign key' && c.references)
        .map((c) => ({ columns: c.columns, references: c.references!.table, refColumns: c.references!.columns })),
      indexes: t.indexes.map((i) => i.keys.filter((_, n) => i.keyIsColumn[n])),
      partitioned: t.partitioning !== null,
    });
  }
  for (const { statement } of statementsOf(context)) {
    const stmt = body(statement);
    const table = sizeOf(context, relationName(stmt.relation) ?? '').table;
    if (statement.kind === 'CreateStmt' && !stmt.partbound) tables.set(table, fromCreate(stmt, table, context));
    const known = tables.get(table);
    if (!known) continue;
    if (statement.kind === 'IndexStmt')
      known.indexes.push(findNodes(stmt.indexParams, 'IndexElem').map((e) => String(e.name ?? '')));
    for (const cmd of alterTableCommands(statement)) {
      const constraint = cmd.def && 'Constraint' in cmd.def ? cmd.def.Constraint : undefined;
      if (cmd.subtype === 'AT_AddConstraint' && constraint?.contype === 'CONSTR_FOREIGN') {
        known.foreignKeys.push({
          columns: names(constraint.fk_attrs),
          references: sizeOf(context, relationName(constraint.pktable) ?? '').table,
          refColumns: names(constraint.pk_attrs),
        });
      }
      // Keys added after the CREATE TABLE (as a differ writes them) are indexes too.
      if (
        cmd.subtype === 'AT_AddConstraint' &&
        (constraint?.contype === 'CONSTR_PRIMARY' || constraint?.contype === 'CONSTR_UNIQUE')
      ) {
        known.indexes.push(names(constraint.keys));
        if (constraint.contype === 'CONSTR_PRIMARY') known.primaryKey = names(constraint.keys);
      }
    }
  }
  // A foreign key without columns references the primary key.
  for (const known of tables.values()) {
    for (const fk of known.foreignKeys)
      if (fk.refColumns.length === 0) fk.refColumns = tables.get(fk.references)?.primaryKey ?? [];
  }
  return tables;
}
