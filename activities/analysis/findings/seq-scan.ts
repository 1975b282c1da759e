import { analysisFinding, type FindingKind } from './kind';

export const sequentialScans: FindingKind = {
  id: 'SW-A-SEQ-SCAN',
  severity: 'warning',
  explanation:
    'A large table read mostly by sequential scans: some frequent query filters on columns no index leads with. The statements from pg_stat_statements that name the table, when it is installed, show which.',
  remedy:
    'Find the frequent queries that read the table (pg_stat_statements) and add an index that leads with the ' +
    'columns they filter on; check with EXPLAIN that the planner uses it.',
  find(context) {
    const { seqScanMinRows, seqScanMinScans } = context.thresholds;
    const statements = context.catalog.stats.statements ?? [];
    // Partitions too: a partitioned table's scans are counted on its partitions.
    return context.catalog.tables
      .filter((t) => {
        if (t.kind !== 'table') return false;
        const rows = t.stats.rowEstimate ?? t.stats.liveTuples;
        return rows >= seqScanMinRows && t.stats.seqScans >= seqScanMinScans && t.stats.seqScans > t.stats.idxScans;
      })
      .map((table) => {
        const named = new RegExp(`\\b${table.name.replace(/[^A-Za-z0-9_]/g, '\\$&')}\\b`);
        const queries = statements.filter((s) => named.test(s.query)).slice(0, 5);
        const rows = table.stats.rowEstimate ?? table.stats.liveTuples;
        return analysisFinding(sequentialScans, {
          object: `${table.schema}.${table.name}`,
          message: `${table.schema}.${table.name} (${rows} rows) was read by ${table.stats.seqScans} sequential scans and ${table.stats.idxScans} index scans`,
          why: 'Each sequential scan reads the whole table; on a large table that is slow, evicts the cache, and grows with the data.',
          // No SQL: the right index depends on the queries; EXPLAIN them and index what they filter and sort on.
          evidence: {
            rows,
            bytes: table.stats.tableBytes,
            seqScans: table.stats.seqScans,
            seqTuplesRead: table.stats.seqTuplesRead,
            idxScans: table.stats.idxScans,
            statements: queries.map((s) => ({ query: s.query, calls: s.calls, meanMs: s.meanMs })),
          },
        });
      });
  },
  examples: [
    {
      name: 'a million-row table scanned 5,000 times and indexed 10 times',
      sql: 'CREATE TABLE public.page_view (id bigint PRIMARY KEY, path text); CREATE TABLE public.small (id int PRIMARY KEY);',
      statistics: (catalog) => {
        const table = catalog.tables.find((t) => t.name === 'page_view')!;
        Object.assign(table.stats, {
          rowEstimate: 1_000_000,
          seqScans: 5000,
          seqTuplesRead: 5_000_000_000,
          idxScans: 10,
        });
        Object.assign(catalog.tables.find((t) => t.name === 'small')!.stats, { rowEstimate: 500, seqScans: 90_000 });
        catalog.stats.statements = [
          { query: 'SELECT * FROM page_view WHERE path = $1', calls: 5000, totalMs: 90000, meanMs: 18, rows: 5000 },
        ];
      },
      expect: [
        {
          object: 'public.page_view',
          message: 'public.page_view (1000000 rows) was read by 5000 sequential scans and 10 index scans',
          evidence: {
            rows: 1_000_000,
            bytes: 8192,
            seqScans: 5000,
            seqTuplesRead: 5_000_000_000,
            idxScans: 10,
            statements: [{ query: 'SELECT * FROM page_view WHERE path = $1', calls: 5000, meanMs: 18 }],
          },
        },
      ],
    },
  ],
};
