import { quoteIdent } from '../../../postgres/names';
import { MODELING_THRESHOLDS, modelingFinding, type ModelingFindingKind } from './kind';

export const hotJoin: ModelingFindingKind = {
  id: 'SW-M-HOT-JOIN',
  severity: 'warning',
  explanation:
    'An access pattern that joins three or more tables and runs often. Normalized tables with the right indexes usually serve it, but at a high rate every join is paid on every call; a denormalized column kept by a trigger, or a materialized view, trades write cost and staleness for read speed. That trade-off is a person’s call.',
  remedy:
    'Keep it normalized with the planned indexes and measure; if that is too slow, precompute it with a ' +
    'materialized view refreshed CONCURRENTLY or a denormalized column kept by a trigger (SW-ESC-DENORMALIZATION ' +
    'asks which).',
  find({ model }) {
    return model.patterns.flatMap((shape) => {
      const tables = [...new Set(shape.tables.map((t) => t.table))];
      if (tables.length < MODELING_THRESHOLDS.hotJoinTables || shape.perSecond < MODELING_THRESHOLDS.hotJoinPerSecond)
        return [];
      return [
        modelingFinding(hotJoin, {
          object: shape.pattern,
          message: `'${shape.pattern}' joins ${tables.length} tables (${tables.join(', ')}) ${shape.perSecond} times a second`,
          why: 'Each call pays every join; at this rate a denormalized column or a materialized view may be cheaper, at the cost of writes and freshness.',
          fix: `Keep it normalized with the planned indexes (measure first), or precompute it: CREATE MATERIALIZED VIEW ${quoteIdent(`${tables[0]}_with_${tables.slice(1).join('_')}`.slice(0, 63))} AS <the pattern's query without parameters>; refreshed CONCURRENTLY on a schedule.`,
          evidence: { pattern: shape.pattern, tables, perSecond: shape.perSecond },
        }),
      ];
    });
  },
  examples: [
    {
      name: 'an order page joining four tables 300 times a second, and a two-table join that does not count',
      spec: `name: shop
entities:
  customer: { fields: { name: text } }
  product: { fields: { name: text } }
  order: { fields: { customer: { ref: customer } } }
  order_line: { fields: { order: { ref: order }, product: { ref: product }, quantity: integer } }
access_patterns:
  - name: order page
    sql: SELECT c.name, l.quantity, p.name FROM "order" o JOIN customer c ON c.id = o.customer_id JOIN order_line l ON l.order_id = o.id JOIN product p ON p.id = l.product_id WHERE o.id = $1
    per_second: 300
  - name: lines with products
    sql: SELECT l.quantity, p.name FROM order_line l JOIN product p ON p.id = l.product_id WHERE l.order_id = $1
    per_second: 900
`,
      expect: [
        {
          object: 'order page',
          message: "'order page' joins 4 tables (order, customer, order_line, product) 300 times a second",
          evidence: { pattern: 'order page', tables: ['order', 'customer', 'order_line', 'product'], perSecond: 300 },
        },
      ],
    },
    {
      name: 'a three-table report run twice a second is not hot',
      spec: `name: shop
entities:
  a: { fields: { x: text } }
  b: { fields: { a: { ref: a } } }
  c: { fields: { b: { ref: b } } }
access_patterns:
  - name: report
    sql: SELECT a.x FROM a JOIN b ON b.a_id = a.id JOIN c ON c.b_id = b.id WHERE a.x = $1
    per_second: 2
`,
      expect: [],
    },
  ],
};
