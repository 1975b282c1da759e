import { identifierFrom } from '../../postgres/names';
import type { PlannedColumn, PlannedEnum, PlannedTable } from './design-model';
import type { DesignSpec } from './spec';

/**
 * The spec's entities as 3NF tables: an identity key per entity, a column per field (references as
 * `<field>_id`), constraints named the way PostgreSQL would name them (so a later diff against a
 * hand-made schema matches names), and a join table per many-to-many relation.
 */
export function plannedSchema(spec: DesignSpec): { enums: PlannedEnum[]; tables: PlannedTable[] } {
  const enums: PlannedEnum[] = [];
  const tables: PlannedTable[] = [];
  for (const entity of spec.entities) {
    const columns: PlannedColumn[] = [{ name: 'id', type: 'bigint', nullable: false, identity: true, pii: false }];
    const table: PlannedTable = {
      name: entity.table,
      entity: entity.name,
      rows: entity.volume?.rows ?? null,
      columns,
      primaryKey: ['id'],
      foreignKeys: [],
      uniques: [],
      checks: [],
    };
    for (const field of entity.fields) {
      const type = field.kind === 'ref' ? 'bigint' : field.kind === 'enum' ? field.typeName : field.type;
      if (field.kind === 'enum') enums.push({ name: field.typeName, values: field.values });
      columns.push({
        name: field.column,
        type,
        nullable: field.nullable,
        identity: false,
        pii: field.pii,
        ...(field.default !== undefined ? { default: field.default } : {}),
      });
      if (field.kind === 'ref') {
        table.foreignKeys.push({
          name: identifierFrom(entity.table, field.column, 'fkey'),
          column: field.column,
          table: field.entity,
          onDelete: field.onDelete,
        });
      }
      if (field.unique)
        table.uniques.push({ name: identifierFrom(entity.table, field.column, 'key'), columns: [field.column] });
      if (field.check)
        table.checks.push({ name: identifierFrom(entity.table, field.column, 'check'), expression: field.check });
    }
    // A copy: partitioning widens the table's unique constraints, which must not reach back into the spec.
    for (const columns of entity.unique)
      table.uniques.push({ name: identifierFrom(entity.table, ...columns, 'key'), columns: [...columns] });
    tables.push(table);
  }
  for (const entity of spec.entities) {
    for (const relation of entity.manyToMany) {
      const [own, theirs] = relation.columns;
      tables.push({
        name: relation.table,
        entity: null,
        // Without a volume of its own, a link table is guessed at one link per row of its first side.
        rows: entity.volume?.rows ?? null,
        columns: [own, theirs].map((name) => ({ name, type: 'bigint', nullable: false, identity: false, pii: false })),
        primaryKey: [own, theirs],
        foreignKeys: [
          // A link means nothing without either end: it goes with them.
          { name: identifierFrom(relation.table, own, 'fkey'), column: own, table: entity.table, onDelete: 'cascade' },
          {
            name: identifierFrom(relation.table, theirs, 'fkey'),
            column: theirs,
            table: relation.entity,
            onDelete: 'cascade',
          },
        ],
        uniques: [],
        checks: [],
      });
    }
  }
  return { enums, tables };
}
