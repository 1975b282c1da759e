import type { AlterTableCmd, Node, RangeVar } from '@pgsql/types';
import type { ParsedStatement } from './parse';

/**
 * Reading libpg-query ASTs, typed by `@pgsql/types` (the types of the parser's own JSON). A node is a
 * one-key wrapper, `{ IndexStmt: {...} }`; `nodeOf` unwraps it to its typed body, so rules never cast.
 */

/** Every node type name: `CreateStmt`, `ColumnDef`, `String`, ... */
export type NodeKind = Node extends infer N ? (N extends unknown ? keyof N : never) : never;

/** The body of a node of that type: `NodeOf<'IndexStmt'>` is `IndexStmt`. */
export type NodeOf<K extends NodeKind> = Extract<Node, Record<K, unknown>>[K];

/** The body of `node` when it is a node of that type: `{ IndexStmt: body }` gives body, anything else undefined. */
export function nodeOf<K extends NodeKind>(node: unknown, kind: K): NodeOf<K> | undefined {
  // The parser's JSON is what @pgsql/types describes: a wrapper's key says its body's type.
  return isObject(node) && isObject(node[kind]) ? (node[kind] as NodeOf<K>) : undefined;
}

/** The statement's body when it is of that kind: `statementOf(s, 'IndexStmt')` is the IndexStmt or undefined. */
export function statementOf<K extends NodeKind>(statement: ParsedStatement, kind: K): NodeOf<K> | undefined {
  return nodeOf(statement.node, kind);
}

/**
 * The statement's own node body, untyped: `{ IndexStmt: body }` gives body. For readers not yet typed;
 * typed code uses `statementOf`.
 */
export function body(statement: ParsedStatement): Json {
  const node: unknown = statement.node;
  const inner = isObject(node) ? node[statement.kind] : undefined;
  return isObject(inner) ? inner : {};
}

/** Every node of the given type anywhere under `root`, e.g. all `ColumnDef`s of a statement. */
export function findNodes<K extends NodeKind>(root: unknown, kind: K): NodeOf<K>[] {
  const found: NodeOf<K>[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        const own = key === kind ? nodeOf(value, kind) : undefined;
        if (own) found.push(own);
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
  return list.flatMap((item) => {
    const part = nodeOf(item, 'String');
    return part ? [String(part.sval)] : [];
  });
}

/** A RangeVar as written: `schema.table` or `table`. Takes `unknown` for readers not yet typed. */
export function relationName(relation: RangeVar | unknown): string | undefined {
  if (!isObject(relation) || typeof relation.relname !== 'string') return undefined;
  return typeof relation.schemaname === 'string' ? `${relation.schemaname}.${relation.relname}` : relation.relname;
}

/** The last part of a possibly qualified name: objects are matched across files by their own name. */
export function unqualified(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** The ALTER TABLE subcommands of a statement, with their subtype (`AT_AddColumn`, ...). */
export function alterTableCommands(statement: ParsedStatement): AlterTableCmd[] {
  return (statementOf(statement, 'AlterTableStmt')?.cmds ?? []).flatMap((cmd) => nodeOf(cmd, 'AlterTableCmd') ?? []);
}

/** The objects a DROP statement names, each as a dotted name. */
export function droppedObjects(statement: ParsedStatement): string[] {
  return (statementOf(statement, 'DropStmt')?.objects ?? []).map((object) => {
    const list = nodeOf(object, 'List');
    if (list) return names(list.items).join('.');
    const type = nodeOf(object, 'TypeName');
    if (type) return names(type.names).join('.');
    const routine = nodeOf(object, 'ObjectWithArgs');
    if (routine) return names(routine.objname).join('.');
    const name = nodeOf(object, 'String');
    return name ? String(name.sval) : '';
  });
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export { isObject };
export type { Json };
