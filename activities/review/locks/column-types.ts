import type { Catalog, Column } from '../../../postgres/introspection';
import type { TypeName } from '@pgsql/types';
import { names, nodeOf } from '../../../postgres/ast';
import { catalogTable } from './model';

/** A type as the coercion rules need it: its internal name and its modifiers (`varchar`, [40]). */
export interface TypeShape {
  name: string;
  mods: number[];
}

/** `format_type` names of the catalog → the parser's internal names. */
const formatNames: Record<string, string> = {
  'character varying': 'varchar',
  character: 'bpchar',
  integer: 'int4',
  bigint: 'int8',
  smallint: 'int2',
  'bit varying': 'varbit',
  'timestamp with time zone': 'timestamptz',
  'timestamp without time zone': 'timestamp',
  'double precision': 'float8',
  real: 'float4',
  boolean: 'bool',
};

/** `character varying(40)` → { varchar, [40] }. */
export function shapeOfFormatted(type: string): TypeShape {
  const match = /^(.*?)(?:\((\d+)(?:,(\d+))?\))?(\[\])?$/.exec(type.trim())!;
  const base = match[1]!.trim();
  const mods = [match[2], match[3]].filter((m): m is string => m !== undefined).map(Number);
  return { name: (formatNames[base] ?? base) + (match[4] ?? ''), mods };
}

/** A TypeName node of the parser → its shape. */
export function shapeOfTypeName(typeName: TypeName | undefined): TypeShape {
  if (!typeName) return { name: '?', mods: [] };
  const parts = names(typeName.names);
  const mods = (typeName.typmods ?? []).flatMap((m) => {
    const integer = nodeOf(m, 'A_Const')?.ival;
    return integer ? [integer.ival ?? 0] : [];
  });
  const array = typeName.arrayBounds ? '[]' : '';
  return { name: (parts[parts.length - 1] ?? '?') + array, mods };
}

/**
 * Whether changing a column from `from` to `to` keeps every stored value as it is (no table rewrite):
 * the binary-coercible casts of pg_cast that ALTER COLUMN TYPE skips the rewrite for, plus the
 * widening of a length or precision modifier.
 */
export function isBinaryCoercible(from: TypeShape, to: TypeShape): boolean {
  const widens = (a: number[], b: number[]) =>
    b.length === 0 || (a.length > 0 && b[0]! >= a[0]! && (b[1] ?? 0) === (a[1] ?? 0));
  const textLike = new Set(['varchar', 'text']);
  if (textLike.has(from.name) && to.name === 'text') return true;
  if (from.name === 'text' && to.name === 'varchar') return to.mods.length === 0;
  if (from.name === 'varchar' && to.name === 'varchar') return widens(from.mods, to.mods);
  if (from.name === to.name && ['numeric', 'varbit', 'bit'].includes(from.name)) {
    // numeric(p,s) → numeric(p2,s) with p2 >= p, or unconstrained; bit lengths must be equal.
    return from.name === 'bit' ? from.mods[0] === to.mods[0] : widens(from.mods, to.mods);
  }
  if (from.name === 'cidr' && to.name === 'inet') return true;
  if (from.name === to.name && from.mods.join() === to.mods.join()) return true;
  return false;
}

/** The column of a table as the catalog knows it, or undefined. */
export function catalogColumn(catalog: Catalog | undefined, table: string, column: string): Column | undefined {
  return catalogTable(catalog, table)?.columns.find((c) => c.name === column);
}
