import { createIndexSql } from '../ddl';
import { modelingFinding, type ModelingFindingKind } from './kind';

export const indexPlan: ModelingFindingKind = {
  id: 'SW-M-INDEX-PLAN',
  severity: 'info',
  explanation:
    'One planned index (beyond those behind primary keys and unique constraints): its columns and their order, the access patterns it serves, and why. Every index costs writes on its table; the evidence carries the table’s write rate from the spec so the write overhead can be weighed.',
  remedy:
    "Check each planned index against the access patterns it serves and its table's write rate: keep it, make it " +
    'partial, or leave it out (SW-ESC-INDEX-WRITE-OVERHEAD asks on write-heavy tables).',
  find({ spec, model }) {
    const writes = new Map<string, number>();
    for (const shape of model.patterns) {
      if (shape.kind === 'select') continue;
      // Writes go to the statement's target table: the first one it names.
      const target = shape.tables[0]?.table;
      if (target) writes.set(target, (writes.get(target) ?? 0) + shape.perSecond);
    }
    const rate = new Map(model.patterns.map((p) => [p.pattern, p.perSecond]));
    /** Updates of the table that set a column the index holds: PostgreSQL cannot update those rows HOT (in place). */
    const hotLost = (index: (typeof model.indexes)[number]) =>
      model.patterns
        .filter(
          (p) =>
            p.kind === 'update' &&
            p.tables[0]?.table === index.table &&
            p.updated.some(
              (c) =>
                index.keys.some((k) => k.column === c) ||
                index.include.includes(c) ||
                new RegExp(`(^|[^\\w"])"?${c}"?([^\\w"]|$)`).test(index.where ?? ''),
            ),
        )
        .map((p) => p.pattern);
    return model.indexes
      .filter((index) => index.origin !== 'key')
      .map((index) =>
        modelingFinding(indexPlan, {
          object: index.name,
          message: `${index.name} on ${index.table} (${index.keys.map((k) => `${k.column}${k.descending ? ' DESC' : ''}`).join(', ')})${index.include.length > 0 ? ` INCLUDE (${index.include.join(', ')})` : ''}${index.where ? ` WHERE ${index.where}` : ''}${index.patterns.length > 0 ? ` serves ${index.patterns.map((p) => `'${p}'`).join(', ')}` : ' supports a foreign key'}`,
          why: index.rationale,
          fix: createIndexSql(spec.schema, index),
          evidence: {
            table: index.table,
            index: index.name,
            columns: index.keys.map((k) => `${k.column}${k.descending ? ' DESC' : ''}`),
            include: index.include,
            where: index.where,
            origin: index.origin,
            patterns: index.patterns,
            tableWritesPerSecond: writes.get(index.table) ?? 0,
            readsPerSecond: index.patterns.reduce((sum, p) => sum + (rate.get(p) ?? 0), 0),
            hotUpdatesLost: hotLost(index),
          },
        }),
      );
  },
  examples: [
    {
      name: 'equality, then sort order, covering; a partial index for a constant filter; a foreign-key index',
      spec: `name: shop
entities:
  customer: { fields: { name: text } }
  order:
    fields:
      customer: { ref: customer }
      status: { enum: [pending, paid] }
      total: integer
      placed_at: timestamptz
access_patterns:
  - name: recent orders of a customer
    sql: SELECT id, total FROM "order" WHERE customer_id = $1 ORDER BY placed_at DESC LIMIT 20
    per_second: 500
  - name: stale pending orders
    sql: SELECT id FROM "order" WHERE status = 'pending' AND placed_at < $1
    per_second: 1
  - name: new order
    sql: INSERT INTO "order" (customer_id, status, total, placed_at) VALUES ($1, 'pending', $2, now())
    per_second: 40
`,
      expect: [
        {
          object: 'order_customer_id_placed_at_idx',
          message:
            "order_customer_id_placed_at_idx on order (customer_id, placed_at DESC) INCLUDE (id, total) serves 'recent orders of a customer'",
          why: 'Key: first equality on customer_id; then placed_at DESC, so rows come back in ORDER BY order without a sort. INCLUDE (id, total) covers the columns it reads: an index-only scan at 500/s skips the table.',
          fix: 'CREATE INDEX order_customer_id_placed_at_idx ON public."order" (customer_id, placed_at DESC) INCLUDE (id, total);',
          evidence: {
            table: 'order',
            index: 'order_customer_id_placed_at_idx',
            columns: ['customer_id', 'placed_at DESC'],
            include: ['id', 'total'],
            where: null,
            origin: 'access-pattern',
            patterns: ['recent orders of a customer'],
            tableWritesPerSecond: 40,
          },
        },
        {
          object: 'order_placed_at_partial_idx',
          fix: `CREATE INDEX order_placed_at_partial_idx ON public."order" (placed_at) WHERE status = 'pending';`,
          evidence: { columns: ['placed_at'], where: "status = 'pending'", patterns: ['stale pending orders'] },
        },
      ],
    },
    {
      name: 'a reference with no pattern still gets its foreign-key index; one already leading a pattern index does not',
      spec: `name: shop
entities:
  customer: { fields: { name: text } }
  product: { fields: { name: text } }
  review:
    fields: { customer: { ref: customer }, product: { ref: product }, stars: integer }
access_patterns:
  - name: reviews of a product
    sql: SELECT stars FROM review WHERE product_id = $1
    per_second: 10
`,
      expect: [
        {
          object: 'review_product_id_idx',
          message: "review_product_id_idx on review (product_id) serves 'reviews of a product'",
        },
        {
          object: 'review_customer_id_idx',
          message: 'review_customer_id_idx on review (customer_id) supports a foreign key',
          evidence: { origin: 'foreign-key', patterns: [] },
        },
      ],
    },
  ],
};
