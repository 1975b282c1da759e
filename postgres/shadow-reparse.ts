import { Client } from 'pg';
import { deparseSync } from 'pgsql-parser';
import type { Node } from '@pgsql/types';
import type { Catalog } from './introspection';
import { qualified, quoteIdent } from './names';
import { loadParser, parseStatementsSync } from './parse';

/**
 * Two forms PostgreSQL prints (and pg_dump dumps) that do not parse back to what was printed, so a
 * restored copy reads back with another definition than the target's:
 *
 * - `x IN ('a', 'b')` on a varchar is stored as `x = ANY` over an implicit cast of a varchar array,
 *   printed `(ARRAY['a'::varchar, ...])::text[]`; the parser pushes that explicit cast into the
 *   elements (`ARRAY[('a'::varchar)::text, ...]`). Without the cast, the parser adds the same
 *   implicit array cast again.
 * - A column of the second branch of a UNION whose name nobody sees (`NULL::integer`, named
 *   `?column?`) is printed without a name; parsed back it is named `int4` and printed `AS int4`.
 *   Naming it `?column?` again gives the stored name back.
 *
 * The shadow's constraint or view is recreated from the target's own definition so rewritten, and
 * kept only if it then reads back exactly as the target's (else rolled back: still a copy gap).
 */
export async function restoreReparsedDefinitions(shadowUrl: string, target: Catalog, shadow: Catalog): Promise<number> {
  await loadParser();
  const candidates: Candidate[] = [];
  const shadowTables = new Map(shadow.tables.map((t) => [qualified(t.schema, t.name), t]));
  for (const table of target.tables) {
    const name = qualified(table.schema, table.name);
    const onShadow = shadowTables.get(name);
    for (const constraint of table.constraints) {
      const copy = onShadow?.constraints.find((c) => c.name === constraint.name);
      if (constraint.kind !== 'check' || constraint.inherited || !copy || copy.definition === constraint.definition)
        continue;
      const sql = checkWithoutArrayCast(
        `ALTER TABLE ${name} DROP CONSTRAINT ${quoteIdent(constraint.name)}, ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}`,
      );
      if (sql)
        candidates.push({ sql, args: [name, constraint.name], expected: constraint.definition, ...CHECK_QUERIES });
    }
  }
  const shadowViews = new Map(shadow.views.map((v) => [qualified(v.schema, v.name), v]));
  for (const view of target.views) {
    const name = qualified(view.schema, view.name);
    if (view.materialized || shadowViews.get(name)?.definition === view.definition) continue;
    const body = withUnseenColumnsNamed(view.definition);
    if (body)
      candidates.push({
        sql: `CREATE OR REPLACE VIEW ${name} AS ${body}`,
        args: [name],
        expected: view.definition,
        ...VIEW_QUERIES,
      });
  }
  if (candidates.length === 0) return 0;
  const client = new Client({ connectionString: shadowUrl, application_name: 'schemawright-shadow' });
  await client.connect();
  let restored = 0;
  try {
    // As the catalog is read: with an empty search_path every name prints schema-qualified.
    await client.query(`SELECT set_config('search_path', '', false)`);
    for (const { sql, guard, readBack, expected, args } of candidates) {
      await client.query('BEGIN');
      try {
        if ((await client.query(guard, args)).rows.length === 0) throw new Error('left as restored');
        await client.query(sql);
        const { rows } = await client.query<{ def: string }>(readBack, args);
        const same = rows.length === 1 && rows[0]!.def === expected;
        await client.query(same ? 'COMMIT' : 'ROLLBACK');
        if (same) restored++;
      } catch {
        await client.query('ROLLBACK');
      }
    }
  } finally {
    await client.end();
  }
  return restored;
}

interface Candidate {
  sql: string;
  /** Returns a row if recreating loses nothing the catalog does not show (so the fingerprint would not tell). */
  guard: string;
  /** The definition as the catalog reads it, to compare with the target's. */
  readBack: string;
  expected: string;
  args: string[];
}

/** A dropped constraint loses its comment, and a parent's takes its children's along: those are left as restored. */
const CHECK_QUERIES = {
  guard: `SELECT 1 FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.conname = $2 AND obj_description(c.oid, 'pg_constraint') IS NULL
            AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = c.conrelid)`,
  readBack: 'SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2',
};

/** CREATE OR REPLACE VIEW would reset a view's options (security_barrier...): such views are left as restored. */
const VIEW_QUERIES = {
  guard: 'SELECT 1 FROM pg_class WHERE oid = $1::regclass AND reloptions IS NULL',
  readBack: 'SELECT pg_get_viewdef($1::regclass) AS def',
};

/** The statement with every `= ANY ((ARRAY[...])::type[])` (or ALL) cast dropped, or undefined if it has none. */
export function checkWithoutArrayCast(statement: string): string | undefined {
  const [parsed] = parseStatementsSync(statement);
  let changed = false;
  walk(parsed!.node, (node) => {
    const expr = node.A_Expr as
      | { kind?: string; rexpr?: { TypeCast?: { arg?: Node; typeName?: { arrayBounds?: unknown[] } } } }
      | undefined;
    const cast = expr?.rexpr?.TypeCast;
    if (
      (expr?.kind === 'AEXPR_OP_ANY' || expr?.kind === 'AEXPR_OP_ALL') &&
      cast?.typeName?.arrayBounds &&
      cast.arg &&
      'A_ArrayExpr' in cast.arg
    ) {
      expr.rexpr = cast.arg as never;
      changed = true;
    }
  });
  return changed ? deparseSync(parsed!.node) : undefined;
}

/**
 * The query with every unnamed column that is not a plain column reference, in a set operation's
 * branch other than the first, named `?column?` (what PostgreSQL printed without a name there), or
 * undefined if it has none.
 */
export function withUnseenColumnsNamed(query: string): string | undefined {
  const [parsed] = parseStatementsSync(query.trim().replace(/;$/, ''));
  let changed = false;
  walk(parsed!.node, (node) => {
    const select = node.SelectStmt as SetOperation | undefined;
    if (!select || select.op === 'SETOP_NONE' || !select.op) return;
    for (const branch of laterBranches(select)) {
      for (const target of branch.targetList ?? []) {
        const column = target.ResTarget as { name?: string; val?: Node } | undefined;
        if (column && !column.name && column.val && !('ColumnRef' in column.val)) {
          column.name = '?column?';
          changed = true;
        }
      }
    }
  });
  return changed ? deparseSync(parsed!.node) : undefined;
}

interface SetOperation {
  op?: string;
  larg?: SetOperation;
  rarg?: SetOperation;
  targetList?: { ResTarget?: unknown }[];
}

/** The plain SELECTs of a set operation but its first (leftmost), whose column names are the result's. */
function laterBranches(select: SetOperation): SetOperation[] {
  const all = (s: SetOperation): SetOperation[] =>
    s.op && s.op !== 'SETOP_NONE' ? [...all(s.larg!), ...all(s.rarg!)] : [s];
  return all(select).slice(1);
}

/** Calls visit on every object node of a parse tree (larg and rarg are bare SelectStmt bodies, wrapped here). */
function walk(value: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    visit(node);
    for (const [key, child] of Object.entries(node))
      walk(key === 'larg' || key === 'rarg' ? { SelectStmt: child } : child, visit);
  }
}
