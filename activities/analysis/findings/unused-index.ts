import { analysisFinding, dropIndexSql, indexedRelations, type FindingKind } from './kind';

const DAY_MS = 86_400_000;

export const unusedIndex: FindingKind = {
  id: 'SW-A-UNUSED-INDEX',
  severity: 'warning',
  explanation:
    'An index no query has scanned since the statistics were last reset, when that is long enough ago to mean something. Indexes that enforce a constraint or uniqueness are left alone. The counters are per server: check the replicas before dropping.',
  find(context) {
    const { stats } = context.catalog;
    const since = stats.statsResetAt ?? stats.serverStartedAt;
    const ageDays = (context.now.getTime() - new Date(since).getTime()) / DAY_MS;
    if (ageDays < context.thresholds.unusedIndexMinStatsDays) return [];
    return indexedRelations(context.catalog).flatMap((relation) =>
      relation.indexes
        .filter((i) => i.valid && i.stats.scans === 0 && !i.unique && !i.constraint)
        .map((index) =>
          analysisFinding(unusedIndex, {
            object: `${relation.schema}.${index.name}`,
            message: `index ${index.name} on ${relation.schema}.${relation.name} has not been scanned in ${Math.floor(ageDays)} days (statistics since ${since})`,
            why: 'An unused index still costs every write, vacuum and backup. Drop it unless a replica, a rare report or a yearly job uses it.',
            fix: dropIndexSql(relation, index),
            evidence: { table: `${relation.schema}.${relation.name}`, scans: 0, bytes: index.stats.bytes, statsSince: since, statsAgeDays: Math.floor(ageDays) },
          }),
        ),
    );
  },
  examples: [
    {
      name: 'an index never scanned in 30 days of statistics; the primary key is kept',
      sql: 'CREATE TABLE public.visit (id int PRIMARY KEY, referrer text); CREATE INDEX visit_referrer ON public.visit (referrer);',
      statistics: (catalog) => {
        catalog.stats.statsResetAt = new Date(new Date(catalog.meta.introspectedAt).getTime() - 30 * DAY_MS).toISOString();
      },
      expect: [{ object: 'public.visit_referrer', fix: 'DROP INDEX CONCURRENTLY public.visit_referrer;', evidence: { table: 'public.visit', scans: 0, bytes: 8192, statsAgeDays: 30 } }],
      fixResolves: true,
    },
    {
      name: 'two days of statistics say nothing yet',
      sql: 'CREATE TABLE public.visit (id int PRIMARY KEY, referrer text); CREATE INDEX visit_referrer ON public.visit (referrer);',
      statistics: (catalog) => {
        catalog.stats.statsResetAt = new Date(new Date(catalog.meta.introspectedAt).getTime() - 2 * DAY_MS).toISOString();
        catalog.stats.serverStartedAt = catalog.stats.statsResetAt;
      },
      expect: [],
    },
  ],
};
