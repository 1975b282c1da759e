import type { Catalog } from '../../postgres/introspection';
import type { PlannedTable } from './design-model';

/** What an ERD shows of a table, from either a design model or a live catalog. */
interface ErdTable {
  name: string;
  columns: { name: string; type: string; keys: string[]; comment?: string }[];
  references: { column: string; table: string; nullable: boolean; unique: boolean }[];
}

/** Mermaid accepts letters, digits, `_`, `-`, `(`, `)` and `[]` in names and types; the rest becomes `_`. */
function mermaidWord(text: string): string {
  return text.replace(/[^A-Za-z0-9_\-()[\]]+/g, '_');
}

function render(tables: ErdTable[]): string {
  const lines = ['erDiagram'];
  const known = new Set(tables.map((t) => t.name));
  for (const table of tables) {
    lines.push(`  ${mermaidWord(table.name)} {`);
    for (const c of table.columns) {
      const keys = c.keys.length > 0 ? ` ${c.keys.join(', ')}` : '';
      lines.push(`    ${mermaidWord(c.type)} ${mermaidWord(c.name)}${keys}${c.comment ? ` "${c.comment}"` : ''}`);
    }
    lines.push('  }');
  }
  for (const table of tables) {
    for (const ref of table.references) {
      if (!known.has(ref.table)) continue;
      // parent ||--o{ child: one parent, zero or more children; |o when the child's column may be null.
      const parentSide = ref.nullable ? '|o' : '||';
      const childSide = ref.unique ? 'o|' : 'o{';
      lines.push(
        `  ${mermaidWord(ref.table)} ${parentSide}--${childSide} ${mermaidWord(table.name)} : "${ref.column}"`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The proposed schema as a Mermaid erDiagram. */
export function erdOfModel(tables: PlannedTable[]): string {
  return render(
    tables.map((table) => ({
      name: table.name,
      columns: table.columns.map((c) => ({
        name: c.name,
        type: c.type,
        keys: [
          ...(table.primaryKey.includes(c.name) ? ['PK'] : []),
          ...(table.foreignKeys.some((fk) => fk.column === c.name) ? ['FK'] : []),
          ...(table.uniques.some((u) => u.columns.length === 1 && u.columns[0] === c.name) ? ['UK'] : []),
        ],
        ...(c.pii ? { comment: 'pii' } : {}),
      })),
      references: table.foreignKeys.map((fk) => ({
        column: fk.column,
        table: fk.table,
        nullable: table.columns.find((c) => c.name === fk.column)?.nullable ?? false,
        unique: table.uniques.some((u) => u.columns.length === 1 && u.columns[0] === fk.column),
      })),
    })),
  );
}

/** A live schema (introspected) as a Mermaid erDiagram; partitions are drawn as their parent. */
export function erdOfCatalog(catalog: Catalog): string {
  const name = (qualifiedName: string) =>
    qualifiedName.startsWith('public.') ? qualifiedName.slice('public.'.length) : qualifiedName;
  return render(
    catalog.tables
      .filter((t) => !t.partitionOf)
      .map((table) => {
        const constraintColumns = (kind: string) => table.constraints.filter((c) => c.kind === kind && !c.inherited);
        const singleUnique = new Set(
          constraintColumns('unique')
            .filter((c) => c.columns.length === 1)
            .map((c) => c.columns[0]),
        );
        const primary = new Set(constraintColumns('primary key').flatMap((c) => c.columns));
        // A tenant-scoped reference (tenant, x_id) is drawn by its own column, the last one.
        const foreign = constraintColumns('foreign key')
          .filter((c) => c.references)
          .map((c) => ({ ...c, columns: c.columns.slice(-1) }));
        return {
          name: name(`${table.schema}.${table.name}`),
          columns: table.columns.map((c) => ({
            name: c.name,
            type: c.type,
            keys: [
              ...(primary.has(c.name) ? ['PK'] : []),
              ...(foreign.some((f) => f.columns[0] === c.name) ? ['FK'] : []),
              ...(singleUnique.has(c.name) ? ['UK'] : []),
            ],
          })),
          references: foreign.map((f) => ({
            column: f.columns[0]!,
            table: name(f.references!.table),
            nullable: table.columns.find((c) => c.name === f.columns[0])?.nullable ?? false,
            unique: singleUnique.has(f.columns[0]),
          })),
        };
      }),
  );
}
