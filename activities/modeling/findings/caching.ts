import { MODELING_THRESHOLDS, modelingFinding, type ModelingFindingKind } from './kind';

export const caching: ModelingFindingKind = {
  id: 'SW-REQ-CACHING',
  severity: 'warning',
  explanation:
    'A frequent read whose spec says how stale its answer may be (freshness): a cache with that TTL, or a materialized view refreshed that often, could serve it instead of the database. Each adds a way to serve stale or inconsistent data, so it is a person’s call.',
  remedy:
    "Choose whether to serve the read from a cache: an application cache with the spec's freshness as TTL, a " +
    'materialized view refreshed that often, or none (SW-ESC-CACHING asks which).',
  find({ spec }) {
    return spec.accessPatterns.flatMap((pattern) => {
      if (
        !pattern.freshness ||
        pattern.perSecond < MODELING_THRESHOLDS.cachingPerSecond ||
        !/^\s*(select|with)\b/i.test(pattern.sql)
      )
        return [];
      return [
        modelingFinding(caching, {
          object: pattern.name,
          message: `'${pattern.name}' runs ${pattern.perSecond} times a second and may be ${pattern.freshness.text} stale`,
          why: `A cache with a ${pattern.freshness.text} TTL (or a materialized view refreshed every ${pattern.freshness.text}) would answer most calls without the database; the cost is invalidation and serving stale data within that bound.`,
          evidence: { pattern: pattern.name, perSecond: pattern.perSecond, freshness: pattern.freshness.text },
        }),
      ];
    });
  },
  examples: [
    {
      name: 'a category page read 1,200 times a second, five minutes of staleness allowed; a rare one is left alone',
      spec: `name: shop
entities: { product: { fields: { name: text } } }
access_patterns:
  - name: category page
    sql: SELECT id, name FROM product ORDER BY name LIMIT 50
    per_second: 1200
    freshness: 5m
  - name: rare
    sql: SELECT id FROM product WHERE name = $1
    per_second: 3
    freshness: 1h
`,
      expect: [
        {
          object: 'category page',
          message: "'category page' runs 1200 times a second and may be 5m stale",
          evidence: { pattern: 'category page', perSecond: 1200, freshness: '5m' },
        },
      ],
    },
  ],
};
