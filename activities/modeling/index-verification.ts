import { Client } from 'pg';
import { introspect } from '../../postgres/introspection';
import { quoteIdent } from '../../postgres/names';
import { withShadowDatabase } from '../../postgres/shadow';
import type { DesignModel } from './design-model';
import { shapeStatistics, type TableStatistics } from './shaped-statistics';

export interface PatternVerification {
  pattern: string;
  /** Indexes the plan meant for this pattern (planned or key indexes naming it). */
  planned: string[];
  /** Indexes the query plan reads, partitions' indexes named by their parent's index. */
  used: string[];
  /** Tables the plan reads by a sequential scan. */
  sequentialScans: string[];
  /** True when the plan sorts (Sort or Incremental Sort): the index did not return rows in ORDER BY order. */
  sorts: boolean;
  /** The plan's total cost at the spec's volumes; absent for writes and errors. */
  cost?: number;
  /** `uses planned index`, `uses another index`, `sequential scan`, `write` (an INSERT reads no index), or `error`. */
  verdict: 'uses planned index' | 'uses another index' | 'sequential scan' | 'write' | 'error';
  error?: string;
}

export interface IndexVerification {
  /** What the planner was made to believe about each table. */
  tables: TableStatistics[];
  patterns: PatternVerification[];
}

/**
 * EXPLAINs every access pattern on a shadow database holding the design, on the given server (the
 * target's, so the planner is the one production has), with statistics shaped to the spec's volumes
 * (shapeStatistics): the plan is the one the planner would choose once the tables are that large.
 * Plans are generic, as for a prepared statement with parameters.
 */
export async function verifyIndexes(
  model: DesignModel,
  server: { connectionString: string },
): Promise<IndexVerification> {
  return withShadowDatabase(server.connectionString, async (shadowUrl) => {
    const client = new Client({ connectionString: shadowUrl });
    await client.connect();
    try {
      await client.query(model.ddl);
      const catalog = await introspect(client, { statements: 0 });
      const parentIndex = new Map<string, string>();
      for (const table of catalog.tables) {
        for (const index of table.indexes)
          if (index.parentIndex) parentIndex.set(index.name, index.parentIndex.split('.').pop()!);
      }
      const root = (name: string): string => (parentIndex.has(name) ? root(parentIndex.get(name)!) : name);
      await client.query('BEGIN');
      let tables: TableStatistics[];
      try {
        tables = await shapeStatistics(
          client,
          model,
          catalog.meta.serverVersionNum >= 180000 ? 'pg_restore_relation_stats' : 'pg_class',
        );
      } catch (error) {
        const message = `the planner's statistics could not be shaped to the spec's volumes: ${(error as Error).message}${/permission denied/i.test((error as Error).message) ? ' (before PostgreSQL 18 this needs a superuser: verify on PostgreSQL 18, or connect as a superuser)' : ''}`;
        return {
          tables: [],
          patterns: model.patterns.map((shape) => ({
            pattern: shape.pattern,
            planned: plannedFor(model, shape.pattern),
            used: [],
            sequentialScans: [],
            sorts: false,
            verdict: 'error' as const,
            error: message,
          })),
        };
      }
      await client.query("SET LOCAL plan_cache_mode = 'force_generic_plan'");
      // The patterns name tables as the application does, with the design's schema on its search_path.
      await client.query(`SET LOCAL search_path TO ${quoteIdent(model.schema)}, public`);
      const unsampled = new Map(tables.filter((t) => t.error).map((t) => [t.table, t.error!]));
      const patterns: PatternVerification[] = [];
      for (const [n, shape] of model.patterns.entries()) {
        const pattern = shape.pattern;
        const planned = plannedFor(model, pattern);
        if (shape.kind === 'insert') {
          patterns.push({ pattern, planned, used: [], sequentialScans: [], sorts: false, verdict: 'write' });
          continue;
        }
        const blind = shape.tables.find((t) => unsampled.has(t.table));
        if (blind) {
          patterns.push({
            pattern,
            planned,
            used: [],
            sequentialScans: [],
            sorts: false,
            verdict: 'error',
            error: `${blind.table}: ${unsampled.get(blind.table)}`,
          });
          continue;
        }
        try {
          await client.query('SAVEPOINT sw_explain');
          const plan = await explain(
            client,
            model.patternSql[pattern]!,
            `sw_pattern_${n}`,
            catalog.meta.serverVersionNum,
          );
          const { indexes, seqScans, sorts } = planNodes(plan);
          await client.query('RELEASE SAVEPOINT sw_explain');
          const used = [...new Set(indexes.map(root))];
          const scans = [...new Set(seqScans.map((t) => partitionParent(catalog, t)))];
          const verdict = planned.some((p) => used.includes(p))
            ? 'uses planned index'
            : scans.length > 0
              ? 'sequential scan'
              : 'uses another index';
          patterns.push({ pattern, planned, used, sequentialScans: scans, sorts, cost: totalCost(plan), verdict });
        } catch (error) {
          await client.query('ROLLBACK TO SAVEPOINT sw_explain');
          patterns.push({
            pattern,
            planned,
            used: [],
            sequentialScans: [],
            sorts: false,
            verdict: 'error',
            error: (error as Error).message,
          });
        }
      }
      return { tables, patterns };
    } finally {
      await client.end();
    }
  });
}

const plannedFor = (model: DesignModel, pattern: string): string[] =>
  model.indexes.filter((i) => i.patterns.includes(pattern)).map((i) => i.name);

/**
 * The generic plan: EXPLAIN (GENERIC_PLAN) from PostgreSQL 16. Before it, a prepared statement
 * executed with NULLs under plan_cache_mode = force_generic_plan (partitions are then pruned at
 * execution, so a partitioned table's indexes may not show).
 */
async function explain(client: Client, sql: string, name: string, serverVersionNum: number): Promise<unknown> {
  if (serverVersionNum >= 160000)
    return (await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${sql}`)).rows[0]![
      'QUERY PLAN'
    ];
  await client.query(`PREPARE ${name} AS ${sql}`);
  try {
    return (await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE ${name}${parameterList(sql)}`))
      .rows[0]!['QUERY PLAN'];
  } finally {
    await client.query(`DEALLOCATE ${name}`);
  }
}

/** `(NULL, NULL)` for as many parameters as the SQL uses: a generic plan does not look at them. */
function parameterList(sql: string): string {
  const numbers = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  const count = numbers.length > 0 ? Math.max(...numbers) : 0;
  return count > 0 ? `(${Array.from({ length: count }, () => 'NULL').join(', ')})` : '';
}

/** The top node's total cost, as EXPLAIN (FORMAT JSON) gives it. */
function totalCost(plan: unknown): number | undefined {
  const top = (plan as { Plan?: { 'Total Cost'?: number } }[] | undefined)?.[0]?.Plan?.['Total Cost'];
  return typeof top === 'number' ? top : undefined;
}

function planNodes(plan: unknown): { indexes: string[]; seqScans: string[]; sorts: boolean } {
  const indexes: string[] = [];
  const seqScans: string[] = [];
  let sorts = false;
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record['Index Name'] === 'string') indexes.push(record['Index Name']);
    if (record['Node Type'] === 'Seq Scan' && typeof record['Relation Name'] === 'string')
      seqScans.push(record['Relation Name']);
    if (record['Node Type'] === 'Sort' || record['Node Type'] === 'Incremental Sort') sorts = true;
    Object.values(record).forEach(visit);
  };
  visit(plan);
  return { indexes, seqScans, sorts };
}

function partitionParent(
  catalog: { tables: { name: string; partitionOf: { parent: string } | null }[] },
  table: string,
): string {
  const parent = catalog.tables.find((t) => t.name === table)?.partitionOf?.parent;
  return parent ? parent.split('.').pop()! : table;
}
