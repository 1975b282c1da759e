import type { Catalog, Sequence } from '../../../postgres/introspection';
import { qualified, quoteIdent } from '../../../postgres/names';
import { analysisFinding, type FindingKind } from './kind';

/** ALTERs that widen the key, its sequence, and every foreign key column pointing at it. */
function widenSql(catalog: Catalog, sequence: Sequence): string {
  const [schema, table, column] = sequence.ownedBy!.split('.') as [string, string, string];
  const statements: string[] = [];
  const columnType = catalog.tables
    .find((t) => t.schema === schema && t.name === table)
    ?.columns.find((c) => c.name === column)?.type;
  if (columnType !== 'bigint')
    statements.push(`ALTER TABLE ${qualified(schema, table)} ALTER COLUMN ${quoteIdent(column)} TYPE bigint;`);
  const widened = new Set<string>();
  for (const referencing of catalog.tables) {
    for (const fk of referencing.constraints) {
      const position = fk.references?.table === `${schema}.${table}` ? fk.references.columns.indexOf(column) : -1;
      if (fk.inherited || position < 0) continue;
      const fkColumn = fk.columns[position]!;
      if (referencing.columns.find((c) => c.name === fkColumn)?.type === 'bigint') continue;
      // A partition's column changes through its parent (dumps often put the key on each partition).
      const target = referencing.partitionOf?.parent ?? `${referencing.schema}.${referencing.name}`;
      const [targetSchema, targetName] = target.split('.') as [string, string];
      const statement = `ALTER TABLE ${qualified(targetSchema, targetName)} ALTER COLUMN ${quoteIdent(fkColumn)} TYPE bigint;`;
      if (!widened.has(statement)) statements.push(statement);
      widened.add(statement);
    }
  }
  if (sequence.type !== 'bigint')
    statements.push(`ALTER SEQUENCE ${qualified(sequence.schema, sequence.name)} AS bigint;`);
  return statements.join('\n');
}

export const keyOverflow: FindingKind = {
  id: 'SW-A-KEY-OVERFLOW',
  severity: 'warning',
  explanation:
    'A sequence that feeds a key has used much of its range: of its own type, or of the column it feeds, whichever is smaller. When it runs out, every INSERT fails. Widening a large table to bigint rewrites it, so it needs planning long before the end.',
  remedy:
    'Widen the key and every column that references it to bigint, and the sequence AS bigint, long before the range ' +
    'runs out; on a large table plan it as an online migration, since the type change rewrites it.',
  find(context) {
    const { keyOverflowWarning, keyOverflowError } = context.thresholds;
    return context.catalog.sequences
      .filter((s) => s.ownedBy && s.stats.lastValue !== null && 1 - s.stats.headroom >= keyOverflowWarning)
      .map((sequence) => {
        const used = 1 - sequence.stats.headroom;
        return analysisFinding(keyOverflow, {
          severity: used >= keyOverflowError ? 'error' : 'warning',
          object: sequence.ownedBy!,
          message: `${sequence.ownedBy} has used ${(used * 100).toFixed(1)}% of its range (sequence ${sequence.schema}.${sequence.name} at ${sequence.stats.lastValue} of ${sequence.stats.limit})`,
          why: 'When the sequence or the column reaches its maximum, every INSERT fails until the key is widened, and widening a big table rewrites it under an exclusive lock.',
          fix: widenSql(context.catalog, sequence),
          evidence: {
            sequence: `${sequence.schema}.${sequence.name}`,
            lastValue: sequence.stats.lastValue,
            limit: sequence.stats.limit,
            usedPercent: Math.round(used * 1000) / 10,
          },
        });
      });
  },
  examples: [
    {
      name: 'an integer key at two billion, with a foreign key pointing at it',
      sql: `CREATE TABLE public.message (id serial PRIMARY KEY);
            CREATE TABLE public.reaction (id bigint PRIMARY KEY, message_id int REFERENCES public.message);
            SELECT setval('public.message_id_seq', 2000000000);`,
      expect: [
        {
          object: 'public.message.id',
          severity: 'error',
          message:
            'public.message.id has used 93.1% of its range (sequence public.message_id_seq at 2000000000 of 2147483647)',
          fix: 'ALTER TABLE public.message ALTER COLUMN id TYPE bigint;\nALTER TABLE public.reaction ALTER COLUMN message_id TYPE bigint;\nALTER SEQUENCE public.message_id_seq AS bigint;',
        },
      ],
      fixResolves: true,
      locks: { 'public.message': 'ACCESS EXCLUSIVE', 'public.reaction': 'ACCESS EXCLUSIVE' },
      // Measured: the fix rewrites the table (a new relfilenode).
      rewrites: ['public.message', 'public.message_pkey', 'public.reaction', 'public.reaction_pkey'],
    },
    {
      name: 'a bigint sequence feeding an integer column overflows at the column',
      sql: `CREATE TABLE public.legacy (id int PRIMARY KEY);
            CREATE SEQUENCE public.legacy_id_seq AS bigint OWNED BY public.legacy.id;
            ALTER TABLE public.legacy ALTER COLUMN id SET DEFAULT nextval('public.legacy_id_seq');
            SELECT setval('public.legacy_id_seq', 1200000000);`,
      expect: [
        {
          object: 'public.legacy.id',
          severity: 'warning',
          fix: 'ALTER TABLE public.legacy ALTER COLUMN id TYPE bigint;',
          evidence: { limit: 2147483647, usedPercent: 55.9 },
        },
      ],
      fixResolves: true,
      locks: { 'public.legacy': 'ACCESS EXCLUSIVE' },
      // Measured: the fix rewrites the table (a new relfilenode).
      rewrites: ['public.legacy', 'public.legacy_pkey'],
    },
  ],
};
