import { deparseSync } from 'pgsql-parser';
import type { AlterTableCmd, Node } from '@pgsql/types';
import type { Catalog } from '../../../postgres/introspection';
import type { MigrationStep } from '../../../artifacts/migration';
import { alterTableCommands, findNodes, names, relationName, statementOf } from '../../../postgres/ast';
import type { ParsedStatement } from '../../../postgres/parse';
import type { PgVersion } from '../../../postgres/pg-version';

export interface RewriteContext {
  pgVersion: PgVersion;
  /** The target's catalog: what a rewrite that drops and re-adds a column must carry over. */
  catalog?: Catalog;
  /** Prefix of the new steps' names, e.g. the reviewed step's name: `0042_orders#1`. */
  stepName: string;
}

/**
 * One online rewrite: the same end state as a risky statement, reached in steps that hold
 * traffic-blocking locks only briefly. One file each, with its id and why; `rewrite` returns
 * undefined when the statement is not its kind or cannot be rewritten safely.
 */
export interface OnlineRewrite {
  id: string;
  explanation: string;
  rewrite(statement: ParsedStatement, context: RewriteContext): MigrationStep[] | undefined;
}

/** SQL for a (modified) AST node, through pgsql-parser's deparser. */
export function sqlOf(node: Node): string {
  // The deparser pretty-prints over lines; one line reads better in plans and steps.
  return deparseSync(node)
    .replace(/\(\s*\n\s*/g, '(')
    .replace(/\s*\n\s*\)/g, ')')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** The statement's only ALTER TABLE subcommand with its table, or undefined (statements with several are left as written). */
export function singleCommand(statement: ParsedStatement): { table: string; cmd: AlterTableCmd } | undefined {
  const cmds = alterTableCommands(statement);
  const table = relationName(statementOf(statement, 'AlterTableStmt')?.relation);
  return cmds.length === 1 && table ? { table, cmd: cmds[0]! } : undefined;
}

export function bareName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * The name PostgreSQL gives an unnamed constraint (ChooseConstraintName): `table_col1_col2_suffix`,
 * with 1, 2, ... appended while the catalog shows the name taken in the table's schema.
 */
export function defaultConstraintName(table: string, columns: string[], suffix: string, catalog?: Catalog): string {
  const base = [bareName(table), ...columns, suffix].join('_');
  const schema = table.includes('.') ? table.slice(0, table.lastIndexOf('.')) : 'public';
  const taken = new Set(
    (catalog?.tables ?? [])
      .filter((t) => t.schema === schema)
      .flatMap((t) => [...t.constraints.map((c) => c.name), ...t.indexes.map((i) => i.name)]),
  );
  for (let n = 0; ; n += 1) {
    const candidate = `${base.slice(0, 63 - (n ? String(n).length : 0))}${n ? n : ''}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The column an expression refers to when it refers to exactly one: PostgreSQL names an unnamed CHECK after it, else `table_check`. */
export function onlyColumn(expression: unknown): string | undefined {
  const columns = new Set(findNodes(expression, 'ColumnRef').map((ref) => names(ref.fields).pop()));
  return columns.size === 1 ? [...columns][0] : undefined;
}

export function step(
  context: RewriteContext,
  index: number,
  kind: MigrationStep['kind'],
  sql: string,
  undo?: string,
  batchSize?: number,
): MigrationStep {
  return {
    kind,
    name: `${context.stepName}~online${index}`,
    sql,
    ...(undo ? { undo } : {}),
    ...(batchSize ? { batchSize } : {}),
  };
}
