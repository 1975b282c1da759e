import type { Index } from '../../../postgres/introspection';
import { analysisFinding, dropIndexLock, dropIndexSql, indexedRelations, type FindingKind } from './kind';

const DAY_MS = 86_400_000;

export const unusedIndex: FindingKind = {
  id: 'SW-A-UNUSED-INDEX',
  severity: 'warning',
  explanation:
    'An index no query has scanned since the statistics were last reset, when that is long enough ago to mean something. Indexes that enforce a constraint or uniqueness are left alone. The counters are per server: check the replicas before dropping.',
  remedy:
    'Check the same counters on every replica; when no server uses the index, drop it with DROP INDEX CONCURRENTLY.',
  find(context) {
    const { stats } = context.catalog;
    const since = stats.statsResetAt ?? stats.serverStartedAt;
    const ageDays = (context.now.getTime() - new Date(since).getTime()) / DAY_MS;
    if (ageDays < context.thresholds.unusedIndexMinStatsDays) return [];
    const relations = indexedRelations(context.catalog);
    // A partitioned index is used when any of its partitions' indexes is: each index's scans count for it and every index above it.
    const byKey = new Map<string, Index>(
      relations.flatMap((r) => r.indexes.map((index) => [`${r.schema}.${index.name}`, index] as const)),
    );
    const scans = new Map<string, number>();
    for (const [key, index] of byKey) {
      for (let at: string | null = key; at; at = byKey.get(at)?.parentIndex ?? null)
        scans.set(at, (scans.get(at) ?? 0) + index.stats.scans);
    }
    return relations.flatMap((relation) =>
      relation.indexes
        .filter(
          (i) =>
            i.valid && !i.parentIndex && scans.get(`${relation.schema}.${i.name}`) === 0 && !i.unique && !i.constraint,
        )
        .map((index) =>
          analysisFinding(unusedIndex, {
            object: `${relation.schema}.${index.name}`,
            message: `index ${index.name} on ${relation.schema}.${relation.name} has not been scanned in ${Math.floor(ageDays)} days (statistics since ${since})`,
            why: `An unused index still costs every write, vacuum and backup. Drop it unless a replica, a rare report or a yearly job uses it. ${dropIndexLock(relation, index)}`,
            fix: dropIndexSql(relation, index),
            evidence: {
              table: `${relation.schema}.${relation.name}`,
              scans: 0,
              bytes: index.stats.bytes,
              statsSince: since,
              statsAgeDays: Math.floor(ageDays),
            },
          }),
        ),
    );
  },
  examples: [
    {
      name: 'an index never scanned in 30 days of statistics; the primary key is kept',
      sql: 'CREATE TABLE public.visit (id int PRIMARY KEY, referrer text); CREATE INDEX visit_referrer ON public.visit (referrer);',
      statistics: (catalog) => {
        catalog.stats.statsResetAt = new Date(
          new Date(catalog.meta.introspectedAt).getTime() - 30 * DAY_MS,
        ).toISOString();
      },
      expect: [
        {
          object: 'public.visit_referrer',
          fix: 'DROP INDEX CONCURRENTLY public.visit_referrer;',
          evidence: { table: 'public.visit', scans: 0, bytes: 8192, statsAgeDays: 30 },
        },
      ],
      fixResolves: true,
      locks: { 'public.visit': 'SHARE UPDATE EXCLUSIVE' },
    },
    {
      name: "a partitioned index counts its partitions' scans",
      sql: `CREATE TABLE public.sample (at date, sensor int) PARTITION BY RANGE (at);
            CREATE TABLE public.sample_2026 PARTITION OF public.sample FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            CREATE TABLE public.sample_2027 PARTITION OF public.sample FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
            CREATE INDEX sample_sensor ON public.sample (sensor); CREATE INDEX sample_at ON public.sample (at);`,
      statistics: (catalog) => {
        catalog.stats.statsResetAt = new Date(
          new Date(catalog.meta.introspectedAt).getTime() - 30 * DAY_MS,
        ).toISOString();
        catalog.tables
          .find((t) => t.name === 'sample_2027')!
          .indexes.find((i) => i.name === 'sample_2027_sensor_idx')!.stats.scans = 12;
      },
      expect: [{ object: 'public.sample_at', fix: 'DROP INDEX public.sample_at;' }],
      fixResolves: true,
      locks: {
        'public.sample': 'ACCESS EXCLUSIVE',
        'public.sample_2026': 'ACCESS EXCLUSIVE',
        'public.sample_2027': 'ACCESS EXCLUSIVE',
      },
    },
    {
      name: 'two days of statistics say nothing yet',
      sql: 'CREATE TABLE public.visit (id int PRIMARY KEY, referrer text); CREATE INDEX visit_referrer ON public.visit (referrer);',
      statistics: (catalog) => {
        catalog.stats.statsResetAt = new Date(
          new Date(catalog.meta.introspectedAt).getTime() - 2 * DAY_MS,
        ).toISOString();
        catalog.stats.serverStartedAt = catalog.stats.statsResetAt;
      },
      expect: [],
    },
  ],
};
