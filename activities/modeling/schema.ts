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
  tenantScopedReferences(spec, tables);
  return { enums, tables };
}

/**
 * With a tenant key, a reference between two tenant tables is composite, `(tenant, x_id) REFERENCES
 * x (tenant, id)`, backed by a unique key `(tenant, id)` on the referenced table: row-level security
 * filters reads, but a plain `REFERENCES x (id)` accepts a row of tenant 1 pointing at tenant 2's row.
 * A join table carries the tenant key too, so both of its references are scoped the same way.
 */
function tenantScopedReferences(spec: DesignSpec, tables: PlannedTable[]): void {
  const tenant = spec.requirements.multiTenantKey;
  if (!tenant) return;
  const shared = new Set(spec.entities.filter((e) => e.shared).map((e) => e.table));
  const tenantColumn = new Map<string, string>();
  for (const table of tables) {
    const key = table.foreignKeys.find((fk) => fk.table === tenant);
    if (key && !shared.has(table.name)) tenantColumn.set(table.name, key.column);
  }
  for (const table of tables.filter((t) => t.entity === null)) {
    const first = tenantColumn.get(table.foreignKeys[0]!.table);
    const second = tenantColumn.get(table.foreignKeys[1]!.table);
    if (!first || !second) continue;
    table.columns.unshift({ name: first, type: 'bigint', nullable: false, identity: false, pii: false });
    tenantColumn.set(table.name, first);
  }
  for (const table of tables) {
    const own = tenantColumn.get(table.name);
    if (!own) continue;
    for (const fk of table.foreignKeys) {
      const referenced = tenantColumn.get(fk.table);
      // ON DELETE SET NULL (column) arrived in PostgreSQL 15: before it, SET NULL would null the tenant column too.
      if (!referenced || fk.table === table.name || (fk.onDelete === 'set null' && spec.postgres < 15)) continue;
      fk.tenant = { column: own, referenced };
      const target = tables.find((t) => t.name === fk.table)!;
      if (!target.uniques.some((u) => u.columns.join() === [referenced, 'id'].join()))
        target.uniques.push({
          name: identifierFrom(target.name, referenced, 'id', 'key'),
          columns: [referenced, 'id'],
        });
    }
  }
}
