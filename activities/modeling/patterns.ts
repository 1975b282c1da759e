import { loadModule, parseSync } from 'pgsql-parser';
import { findNodes, isObject, names, type Json } from '../../postgres/ast';
import { quoteIdent, quoteLiteral } from '../../postgres/names';
import type { ConstantCondition, IndexKey, PatternShape, TableAccess } from './design-model';
import type { AccessPattern } from './spec';

/** libpg-query is WebAssembly, loaded once; modelSpec is synchronous, so callers load it first (loadSpec does). */
export async function loadSqlParser(): Promise<void> {
  await loadModule();
}

/** The first statement's AST; parseSync throws until the module is loaded, with a message saying what to call. */
export function parseOne(sql: string): Json {
  let statement: Json | undefined;
  try {
    statement = parseSync(sql).stmts?.[0]?.stmt as Json | undefined;
  } catch (error) {
    if (/not initialized/i.test((error as Error).message))
      throw new Error(
        'modelSpec needs the SQL parser: await loadSqlParser() (or loadSpec, which loads it) before calling it.',
      );
    throw error;
  }
  if (!statement) throw new Error(`access pattern SQL has no statement: ${sql}`);
  return statement;
}

const RANGE_OPERATORS = new Set(['<', '>', '<=', '>=']);

/**
 * Reads an access pattern's SQL into what an index can serve, per table: equality, range, join and
 * sort columns, conditions on constants, and the columns it reads. `tables` gives each table's
 * columns, to place unqualified column names.
 */
export function readPattern(pattern: AccessPattern, tables: Map<string, string[]>): PatternShape {
  const root = parseOne(pattern.sql);
  const kind = Object.keys(root)[0]!;
  const statement = root[kind] as Json;
  const accesses = new Map<string, TableAccess>();
  // INSERT, UPDATE and DELETE hold their target as a bare RangeVar body under `relation`.
  const target = isObject(statement.relation) ? [statement.relation] : [];
  for (const relation of [...target, ...findNodes(root, 'RangeVar')]) {
    const table = String(relation.relname);
    if (!tables.has(table)) continue;
    const alias = isObject(relation.alias) ? String(relation.alias.aliasname) : table;
    accesses.set(alias, {
      table,
      alias,
      equality: [],
      range: [],
      join: [],
      list: [],
      sort: [],
      constant: [],
      selected: [],
      selectsAll: false,
    });
  }
  /** The table access a column reference belongs to: by its qualifier, or the one table that has the column. */
  const owner = (node: unknown): { access: TableAccess; column: string } | undefined => {
    if (!isObject(node) || !isObject(node.ColumnRef)) return undefined;
    const parts = names(node.ColumnRef.fields);
    if (parts.length === 2) {
      const access = accesses.get(parts[0]!);
      return access ? { access, column: parts[1]! } : undefined;
    }
    if (parts.length !== 1) return undefined;
    const candidates = [...accesses.values()].filter((a) => tables.get(a.table)!.includes(parts[0]!));
    return candidates.length === 1 ? { access: candidates[0]!, column: parts[0]! } : undefined;
  };
  const isParameter = (node: unknown) =>
    isObject(node) &&
    ('ParamRef' in node ||
      ('TypeCast' in node &&
        isObject(node.TypeCast) &&
        isObject(node.TypeCast.arg) &&
        'ParamRef' in node.TypeCast.arg));
  const constantText = (node: unknown): string | undefined => {
    if (!isObject(node) || !isObject(node.A_Const)) return undefined;
    const c = node.A_Const;
    if (isObject(c.sval)) return quoteLiteral(String(c.sval.sval));
    if (isObject(c.ival)) return String(c.ival.ival ?? 0);
    if (isObject(c.fval)) return String(c.fval.fval);
    if (isObject(c.boolval)) return c.boolval.boolval ? 'true' : 'false';
    return undefined;
  };

  const conditions: unknown[] = [];
  const flatten = (node: unknown) => {
    if (isObject(node) && isObject(node.BoolExpr) && node.BoolExpr.boolop === 'AND_EXPR')
      (node.BoolExpr.args as unknown[]).forEach(flatten);
    else if (node) conditions.push(node);
  };
  flatten(statement.whereClause);
  for (const join of findNodes(root, 'JoinExpr')) flatten(join.quals);

  const edges: { a: TableAccess; aColumn: string; b: TableAccess; bColumn: string }[] = [];
  const add = (list: string[], column: string) => {
    if (!list.includes(column)) list.push(column);
  };
  // The predicate goes into DDL as written here, so the column is quoted (`"end" IS NULL`).
  const addConstant = (access: TableAccess, column: string, predicate: (quoted: string) => string) => {
    const condition: ConstantCondition = { column, predicate: predicate(quoteIdent(column)) };
    if (!access.constant.some((c) => c.predicate === condition.predicate)) access.constant.push(condition);
  };
  for (const condition of conditions) {
    if (!isObject(condition)) continue;
    const column = owner(condition);
    if (column) {
      addConstant(column.access, column.column, (c) => c); // a bare boolean column: `WHERE active`
      continue;
    }
    if (isObject(condition.NullTest)) {
      const tested = owner(condition.NullTest.arg);
      const test = condition.NullTest.nulltesttype === 'IS_NULL' ? 'IS NULL' : 'IS NOT NULL';
      if (tested) addConstant(tested.access, tested.column, (c) => `${c} ${test}`);
      continue;
    }
    if (isObject(condition.BoolExpr) && condition.BoolExpr.boolop === 'NOT_EXPR') {
      const negated = owner((condition.BoolExpr.args as unknown[])[0]);
      if (negated) addConstant(negated.access, negated.column, (c) => `NOT ${c}`);
      continue;
    }
    if (!isObject(condition.A_Expr)) continue;
    const expression = condition.A_Expr;
    const operator = names(expression.name)[0] ?? '';
    let left = owner(expression.lexpr);
    let right: unknown = expression.rexpr;
    if (!left && owner(expression.rexpr) && expression.kind === 'AEXPR_OP') {
      left = owner(expression.rexpr);
      right = expression.lexpr;
    }
    if (!left) continue;
    const other = owner(right);
    if (expression.kind === 'AEXPR_OP' && operator === '=' && other) {
      edges.push({ a: left.access, aColumn: left.column, b: other.access, bColumn: other.column });
    } else if (expression.kind === 'AEXPR_OP' && operator === '=' && isParameter(right)) {
      add(left.access.equality, left.column);
    } else if (
      expression.kind === 'AEXPR_OP' &&
      constantText(right) !== undefined &&
      ['=', '<>', '!='].includes(operator)
    ) {
      const value = constantText(right)!;
      addConstant(left.access, left.column, (c) => `${c} ${operator === '!=' ? '<>' : operator} ${value}`);
    } else if (expression.kind === 'AEXPR_OP' && RANGE_OPERATORS.has(operator)) {
      add(left.access.range, left.column);
    } else if (expression.kind === 'AEXPR_BETWEEN' || (expression.kind === 'AEXPR_LIKE' && isPrefixPattern(right))) {
      add(left.access.range, left.column);
    } else if (expression.kind === 'AEXPR_IN' && operator === '=') {
      const items = isObject(right) && isObject(right.List) ? ((right.List.items as unknown[] | undefined) ?? []) : [];
      const values = items.map(constantText);
      if (items.length > 0 && values.every((v) => v !== undefined)) {
        // A list of constants is a condition like any other on constants: it can be a partial index's predicate.
        addConstant(left.access, left.column, (c) => `${c} IN (${values.join(', ')})`);
      } else {
        add(left.access.equality, left.column);
        add(left.access.list, left.column);
      }
    } else if (expression.kind === 'AEXPR_OP_ANY' && operator === '=' && isParameter(right)) {
      add(left.access.equality, left.column);
      add(left.access.list, left.column);
    }
  }

  // Join order as a plan would take it: from the tables the pattern filters (or the first one),
  // each further table is reached by its columns in a join condition with a table already reached.
  const all = [...accesses.values()];
  const withParameters = all.filter((a) => a.equality.length > 0 || a.range.length > 0);
  const withConstants = all.filter((a) => a.constant.length > 0);
  const reached = new Set(
    withParameters.length > 0 ? withParameters : withConstants.length > 0 ? withConstants : all.slice(0, 1),
  );
  for (let grew = true; grew; ) {
    grew = false;
    for (const edge of edges) {
      for (const [from, to, column] of [
        [edge.a, edge.b, edge.bColumn],
        [edge.b, edge.a, edge.aColumn],
      ] as const) {
        if (reached.has(from) && !reached.has(to)) {
          add(to.join, column);
          for (const more of edges) {
            // A second condition between the same two tables narrows the same lookup.
            if (more !== edge && more.a === to && reached.has(more.b)) add(to.join, more.aColumn);
            if (more !== edge && more.b === to && reached.has(more.a)) add(to.join, more.bColumn);
          }
          reached.add(to);
          grew = true;
        }
      }
    }
  }
  // Join columns a driving table reads are selected columns for covering purposes.
  for (const edge of edges) {
    for (const [access, column] of [
      [edge.a, edge.aColumn],
      [edge.b, edge.bColumn],
    ] as const) {
      if (!access.join.includes(column)) add(access.selected, column);
    }
  }

  for (const sortBy of (statement.sortClause as unknown[] | undefined) ?? []) {
    if (!isObject(sortBy) || !isObject(sortBy.SortBy)) continue;
    const sorted = owner(sortBy.SortBy.node);
    if (sorted && !sorted.access.sort.some((k) => k.column === sorted.column))
      sorted.access.sort.push({
        column: sorted.column,
        descending: sortBy.SortBy.sortby_dir === 'SORTBY_DESC',
      } satisfies IndexKey);
  }

  const updated: string[] = [];
  for (const target of (statement.targetList as unknown[] | undefined) ?? []) {
    if (!isObject(target) || !isObject(target.ResTarget)) continue;
    if (kind === 'UpdateStmt' && typeof target.ResTarget.name === 'string') add(updated, target.ResTarget.name);
    for (const ref of findNodes(target.ResTarget.val, 'ColumnRef')) {
      const fields = ref.fields as unknown[];
      if (fields.some((f) => isObject(f) && 'A_Star' in f)) {
        const qualifier = names(fields)[0];
        for (const access of accesses.values()) if (!qualifier || access.alias === qualifier) access.selectsAll = true;
        continue;
      }
      const selected = owner({ ColumnRef: ref });
      if (selected) add(selected.access.selected, selected.column);
    }
  }
  const kinds: Record<string, PatternShape['kind']> = {
    SelectStmt: 'select',
    InsertStmt: 'insert',
    UpdateStmt: 'update',
    DeleteStmt: 'delete',
  };
  return {
    pattern: pattern.name,
    perSecond: pattern.perSecond,
    kind: kinds[kind] ?? 'select',
    updated,
    limited: statement.limitCount !== undefined,
    tables: [...accesses.values()],
  };
}

/** `LIKE 'abc%'` or `LIKE $1` can use a btree range; `LIKE '%abc'` cannot. */
function isPrefixPattern(node: unknown): boolean {
  if (isObject(node) && 'ParamRef' in node) return true;
  if (isObject(node) && isObject(node.A_Const) && isObject(node.A_Const.sval))
    return !String(node.A_Const.sval.sval).startsWith('%');
  return false;
}
