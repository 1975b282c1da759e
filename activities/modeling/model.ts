import { qualified } from '../../postgres/names';
import type { DesignModel } from './design-model';
import { renderDdl } from './ddl';
import { erdOfModel } from './erd';
import { MODELING_FINDING_KINDS } from './findings';
import { planIndexes } from './index-plan';
import { partitionPlans } from './partitioning';
import { readPattern } from './patterns';
import { rowSecurityPolicies } from './row-security';
import { plannedSchema } from './schema';
import type { DesignSpec } from './spec';

/** The first major version with identity columns on partitioned tables. */
const IDENTITY_ON_PARTITIONED_FROM = 17;

export interface ModelOptions {
  /** The day range partitions start from (the current month or day); the clock by default. */
  now?: Date;
}

/**
 * A validated spec as a proposed schema: 3NF tables with identity keys and the spec's constraints,
 * partitions where volume calls for them, indexes from the access patterns, row-level security for
 * a tenant key, the DDL, the ERD, and the findings that explain and question the design.
 * Synchronous: the SQL parser must be loaded (loadSpec or loadSqlParser does it).
 */
export function modelSpec(spec: DesignSpec, options: ModelOptions = {}): DesignModel {
  const { enums, tables } = plannedSchema(spec);
  const columns = new Map(tables.map((t) => [t.name, t.columns.map((c) => c.name)]));
  const patterns = spec.accessPatterns.map((pattern) => readPattern(pattern, columns));
  const { partitions, unpartitioned } = partitionPlans(spec, tables, patterns, options.now ?? new Date());
  for (const plan of partitions) {
    // PostgreSQL requires the partition key in the primary key and every unique constraint of a partitioned table.
    const table = tables.find((t) => t.name === plan.table)!;
    if (!table.primaryKey.includes(plan.key)) table.primaryKey = [...table.primaryKey, plan.key];
    const widened = table.uniques.filter((u) => !u.columns.includes(plan.key));
    for (const unique of widened) unique.columns.push(plan.key);
    if (spec.postgres < IDENTITY_ON_PARTITIONED_FROM) {
      table.keySequence = `${table.name}_id_seq`;
      const key = table.columns.find((c) => c.name === 'id')!;
      key.identity = false;
      key.default = `nextval('${qualified(spec.schema, table.keySequence)}'::regclass)`;
      plan.reason += ` PostgreSQL ${spec.postgres} allows no identity column on a partitioned table (17 does): id takes its values from the sequence ${table.keySequence}, owned by the column; make it an identity after upgrading.`;
    }
    if (widened.length > 0) {
      plan.reason += ` Unique constraints must include the partition key, so ${widened.map((u) => u.name).join(', ')} now hold only per ${plan.key}: enforce global uniqueness another way (a lookup table) if it matters.`;
    }
  }
  const indexes = planIndexes(tables, patterns);
  const policies = rowSecurityPolicies(spec, tables);
  const model: Omit<DesignModel, 'findings'> = {
    name: spec.name,
    schema: spec.schema,
    postgres: spec.postgres,
    enums,
    tables,
    indexes,
    partitions,
    unpartitioned,
    policies,
    droppedIndexes: [],
    patterns,
    patternSql: Object.fromEntries(spec.accessPatterns.map((p) => [p.name, p.sql])),
    ddl: renderDdl(spec.schema, { enums, tables, indexes, partitions, policies }),
    erd: erdOfModel(tables),
  };
  const findings = MODELING_FINDING_KINDS.flatMap((kind) => kind.find({ spec, model }));
  return { ...model, findings };
}
