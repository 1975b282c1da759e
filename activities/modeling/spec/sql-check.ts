import { didYouMean } from '../../../config/did-you-mean';
import { findNodes, isObject, names } from '../../../postgres/ast';
import { parseStatements, SqlSyntaxError, type ParsedStatement } from '../../../postgres/parse';
import { privilegedStatements } from '../../../postgres/privileged/detector';

/** The tables a spec defines (entities and join tables) with their columns. */
export type SpecTables = Map<string, string[]>;

const PATTERN_KINDS = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt', 'InsertStmt']);

/** Parses SQL, returning the statements or the parser's complaint (with its position in the SQL). */
async function parse(sql: string): Promise<ParsedStatement[] | string> {
  try {
    return await parseStatements(sql);
  } catch (error) {
    if (error instanceof SqlSyntaxError)
      return `${error.reason} (line ${error.location.line}, column ${error.location.column} of the SQL)`;
    throw error;
  }
}

/**
 * What is wrong with an access pattern's SQL: it must be one query, and name only the spec's tables
 * and their columns (a typo in a pattern would plan an index on nothing).
 */
export async function checkPatternSql(sql: string, tables: SpecTables, schema: string): Promise<string[]> {
  const statements = await parse(sql);
  if (typeof statements === 'string') return [`the SQL does not parse: ${statements}`];
  if (statements.length !== 1 || !PATTERN_KINDS.has(statements[0]!.kind)) {
    return ['expected one query (SELECT, INSERT, UPDATE or DELETE): write one statement per access pattern'];
  }
  const beyond = beyondTheDatabase(statements);
  if (beyond) return [beyond];
  const root = statements[0]!.node;
  const problems: string[] = [];
  const cteNames = new Set(findNodes(root, 'CommonTableExpr').map((cte) => String(cte.ctename)));
  // alias or table name → table, for qualified column references
  const scope = new Map<string, string>();
  const used = new Set<string>();
  // INSERT, UPDATE and DELETE hold their target as a bare RangeVar body under `relation`.
  const body = (root as unknown as Record<string, Record<string, unknown>>)[statements[0]!.kind]!;
  const target = isObject(body.relation) ? [body.relation] : [];
  for (const relation of [...target, ...findNodes(root, 'RangeVar')]) {
    const table = String(relation.relname);
    if (relation.schemaname === undefined && cteNames.has(table)) continue;
    if (relation.schemaname !== undefined && relation.schemaname !== schema) {
      problems.push(
        `table '${String(relation.schemaname)}.${table}' is outside the design's schema '${schema}': write '${table}'`,
      );
      continue;
    }
    if (!tables.has(table)) {
      problems.push(
        `unknown table '${table}'${didYouMean(table, tables.keys()) || `: the spec's tables are ${[...tables.keys()].join(', ')}`}`,
      );
      continue;
    }
    used.add(table);
    scope.set(table, table);
    if (isObject(relation.alias)) scope.set(String(relation.alias.aliasname), table);
  }
  // The columns an INSERT lists and an UPDATE sets are ResTargets too, but they name the target's columns.
  const written = [
    ...(statements[0]!.kind === 'InsertStmt' ? asList(body.cols) : []),
    ...(statements[0]!.kind === 'UpdateStmt' ? asList(body.targetList) : []),
  ].flatMap((node) => (isObject(node) && isObject(node.ResTarget) ? [node.ResTarget] : []));
  // Output names (SELECT count(*) AS n ... ORDER BY n) are not columns of a table.
  const outputNames = new Set(
    findNodes(root, 'ResTarget').flatMap((target) =>
      typeof target.name === 'string' && !written.some((w) => w === target) ? [target.name] : [],
    ),
  );
  const only = used.size === 1 && cteNames.size === 0 ? [...used][0] : undefined;
  const reported = new Set<string>();
  const unknownColumn = (table: string, column: string) => {
    const columns = tables.get(table)!;
    const key = `${table}.${column}`;
    if (!columns.includes(column) && !reported.has(key)) {
      reported.add(key);
      problems.push(
        `table '${table}' has no column '${column}'${didYouMean(column, columns) || `: its columns are ${columns.join(', ')}`}`,
      );
    }
  };
  const targetTable = isObject(body.relation) ? String(body.relation.relname) : undefined;
  if (targetTable && used.has(targetTable)) {
    for (const column of written) if (typeof column.name === 'string') unknownColumn(targetTable, column.name);
  }
  for (const ref of findNodes(root, 'ColumnRef')) {
    const parts = names(ref.fields);
    if (parts.length !== (Array.isArray(ref.fields) ? ref.fields.length : 0)) continue; // t.* or *
    let table: string | undefined;
    let column: string | undefined;
    if (parts.length === 2) {
      table = scope.get(parts[0]!);
      column = parts[1];
    } else if (parts.length === 1 && only && !outputNames.has(parts[0]!)) {
      table = only;
      column = parts[0];
    }
    if (!table || !column) continue;
    unknownColumn(table, column);
  }
  return problems;
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The parser's complaint about an SQL expression (a check or a default), or undefined when it is one expression. */
export async function checkSqlExpression(expression: string): Promise<string | undefined> {
  const statements = await parse(`SELECT (${expression})`);
  if (typeof statements === 'string')
    return `'${expression}' is not an SQL expression: ${statements.replace(/ \(line \d+, column \d+ of the SQL\)$/, '')}`;
  // `0); DROP TABLE x; SELECT (1` parses as three statements: an expression is exactly one.
  if (statements.length !== 1) return `'${expression}' is not a single SQL expression`;
  const beyond = beyondTheDatabase(statements);
  return beyond ? `'${expression}' ${beyond.replace(/^the SQL /, '')}` : undefined;
}

/**
 * Modeling runs the spec's expressions and queries on a shadow database: one that needs rights beyond
 * the database (a server file, a role, another server) has no place in a design and is refused.
 */
function beyondTheDatabase(statements: ParsedStatement[]): string | undefined {
  const reasons = privilegedStatements(statements).flatMap((p) => p.reasons);
  return reasons.length ? `the SQL ${reasons.join('; ')}; a design stays within its database` : undefined;
}
