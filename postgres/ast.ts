import type { ParsedStatement } from './parse';

/**
 * Reading libpg-query ASTs: the few navigations the rules share. The AST is plain JSON, so these
 * work on `unknown` and check shapes rather than trusting a type per node.
 */
type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The statement's own node body: `{ IndexStmt: body }` gives body. */
export function body(statement: ParsedStatement): Json {
  const inner = (statement.node as unknown as Json)[statement.kind];
  return isObject(inner) ? inner : {};
}

/** Every node of the given type anywhere under `root`, e.g. all `TypeName`s of a statement. */
export function findNodes(root: unknown, type: string): Json[] {
  const found: Json[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (key === type && isObject(child)) found.push(child);
        visit(child);
      }
    }
  };
  visit(root);
  return found;
}

/** `[{String: {sval: 'public'}}, {String: {sval: 't'}}]` → `['public', 't']`. */
export function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => (isObject(item) && isObject(item.String) ? [String(item.String.sval)] : []));
}

/** A RangeVar as written: `schema.table` or `table`. */
export function relationName(relation: unknown): string | undefined {
  if (!isObject(relation) || typeof relation.relname !== 'string') return undefined;
  return typeof relation.schemaname === 'string' ? `${relation.schemaname}.${relation.relname}` : relation.relname;
}

/** The last part of a possibly qualified name: objects are matched across files by their own name. */
export function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** The ALTER TABLE subcommands of a statement, with their subtype (`AT_AddColumn`, ...). */
export function alterTableCommands(statement: ParsedStatement): Json[] {
  if (statement.kind !== 'AlterTableStmt') return [];
  const cmds = body(statement).cmds;
  return Array.isArray(cmds) ? cmds.flatMap((cmd) => (isObject(cmd) && isObject(cmd.AlterTableCmd) ? [cmd.AlterTableCmd] : [])) : [];
}

/** The objects a DROP statement names, each as a dotted name. */
export function droppedObjects(statement: ParsedStatement): string[] {
  const objects = body(statement).objects;
  if (!Array.isArray(objects)) return [];
  return objects.map((object) => {
    if (isObject(object) && isObject(object.List)) return names(object.List.items).join('.');
    if (isObject(object) && isObject(object.TypeName)) return names(object.TypeName.names).join('.');
    if (isObject(object) && isObject(object.ObjectWithArgs)) return names(object.ObjectWithArgs.objname).join('.');
    if (isObject(object) && isObject(object.String)) return String(object.String.sval);
    return '';
  });
}

export { isObject };
export type { Json };
