import { qualified, quoteIdent, quoteLiteral as literal } from '../../postgres/names';
import type { PartitionPlan, PlannedEnum, PlannedIndex, PlannedTable, RowSecurityPolicy } from './design-model';

/**
 * The desired schema as DDL that runs on an empty database: types, tables in reference order (a
 * cycle's remaining foreign keys added after), partitions, indexes, row-level security.
 */
export function renderDdl(
  schema: string,
  parts: {
    enums: PlannedEnum[];
    tables: PlannedTable[];
    indexes: PlannedIndex[];
    partitions: PartitionPlan[];
    policies: RowSecurityPolicy[];
  },
): string {
  const name = (table: string) => qualified(schema, table);
  const out: string[] = [];
  if (schema !== 'public') out.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};`);
  for (const e of parts.enums) out.push(`CREATE TYPE ${name(e.name)} AS ENUM (${e.values.map(literal).join(', ')});`);
  const enumNames = new Set(parts.enums.map((e) => e.name));

  const created = new Set<string>();
  const deferred: string[] = [];
  for (const table of referenceOrder(parts.tables)) {
    const plan = parts.partitions.find((p) => p.table === table.name);
    const lines = table.columns.map((c) => {
      const type = enumNames.has(c.type) ? name(c.type) : c.type;
      return `  ${quoteIdent(c.name)} ${type}${c.identity ? ' GENERATED ALWAYS AS IDENTITY' : ''}${c.nullable ? '' : ' NOT NULL'}${c.default !== undefined ? ` DEFAULT ${c.default}` : ''}`;
    });
    lines.push(
      `  CONSTRAINT ${quoteIdent(`${table.name}_pkey`)} PRIMARY KEY (${table.primaryKey.map(quoteIdent).join(', ')})`,
    );
    for (const u of table.uniques)
      lines.push(`  CONSTRAINT ${quoteIdent(u.name)} UNIQUE (${u.columns.map(quoteIdent).join(', ')})`);
    for (const c of table.checks) lines.push(`  CONSTRAINT ${quoteIdent(c.name)} CHECK (${c.expression})`);
    for (const fk of table.foreignKeys) {
      const [from, to] = fk.tenant
        ? [`${quoteIdent(fk.tenant.column)}, ${quoteIdent(fk.column)}`, `${quoteIdent(fk.tenant.referenced)}, id`]
        : [quoteIdent(fk.column), 'id'];
      // SET NULL on a composite key would null the tenant column too: only the reference's own column.
      const onDelete =
        fk.tenant && fk.onDelete === 'set null' ? `SET NULL (${quoteIdent(fk.column)})` : fk.onDelete.toUpperCase();
      const sql = `CONSTRAINT ${quoteIdent(fk.name)} FOREIGN KEY (${from}) REFERENCES ${name(fk.table)} (${to}) ON DELETE ${onDelete}`;
      if (created.has(fk.table) || fk.table === table.name) lines.push(`  ${sql}`);
      else deferred.push(`ALTER TABLE ${name(table.name)} ADD ${sql};`);
    }
    const partitionBy = plan ? ` PARTITION BY ${plan.strategy.toUpperCase()} (${quoteIdent(plan.key)})` : '';
    if (table.keySequence) out.push(`CREATE SEQUENCE ${name(table.keySequence)} AS bigint;`);
    out.push(`CREATE TABLE ${name(table.name)} (\n${lines.join(',\n')}\n)${partitionBy};`);
    if (table.keySequence) out.push(`ALTER SEQUENCE ${name(table.keySequence)} OWNED BY ${name(table.name)}.id;`);
    for (const partition of plan?.partitions ?? [])
      out.push(`CREATE TABLE ${name(partition.name)} PARTITION OF ${name(table.name)} ${partition.bound};`);
    created.add(table.name);
  }
  out.push(...deferred);
  for (const index of parts.indexes) {
    if (index.origin === 'key') continue;
    out.push(createIndexSql(schema, index));
  }
  for (const policy of parts.policies) {
    out.push(`ALTER TABLE ${name(policy.table)} ENABLE ROW LEVEL SECURITY;`);
    // FORCE: the application often connects as the tables' owner, which RLS exempts otherwise.
    out.push(`ALTER TABLE ${name(policy.table)} FORCE ROW LEVEL SECURITY;`);
    out.push(
      `CREATE POLICY ${quoteIdent(policy.name)} ON ${name(policy.table)} USING (${policy.using}) WITH CHECK (${policy.using});`,
    );
  }
  return `${out.join('\n\n')}\n`;
}

export function createIndexSql(schema: string, index: PlannedIndex): string {
  const keys = index.keys.map((k) => `${quoteIdent(k.column)}${k.descending ? ' DESC' : ''}`).join(', ');
  const include = index.include.length > 0 ? ` INCLUDE (${index.include.map(quoteIdent).join(', ')})` : '';
  const where = index.where ? ` WHERE ${index.where}` : '';
  return `CREATE INDEX ${quoteIdent(index.name)} ON ${qualified(schema, index.table)} (${keys})${include}${where};`;
}

/** Referenced tables before the tables referencing them, file order otherwise; cycles keep file order. */
function referenceOrder(tables: PlannedTable[]): PlannedTable[] {
  const ordered: PlannedTable[] = [];
  const placed = new Set<string>();
  let pending = [...tables];
  while (pending.length > 0) {
    const ready = pending.filter((t) =>
      t.foreignKeys.every(
        (fk) => fk.table === t.name || placed.has(fk.table) || !tables.some((o) => o.name === fk.table),
      ),
    );
    const next = ready.length > 0 ? ready : [pending[0]!];
    for (const table of next) {
      ordered.push(table);
      placed.add(table.name);
    }
    pending = pending.filter((t) => !placed.has(t.name));
  }
  return ordered;
}
