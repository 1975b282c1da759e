import type { Escalation, EscalationOption } from '../../../artifacts/escalation';
import type { Finding } from '../../../artifacts/findings';
import { qualified } from '../../../postgres/names';
import { addedStep, durationSeconds, findingsOf, numberOf, selectOf, textOf } from './context';
import { exampleFinding } from './examples';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-CACHING';
const REQ = 'SW-REQ-CACHING';

function escalationFor(finding: Finding, context: EscalationContext): Escalation {
  const pattern = textOf(finding.evidence, 'pattern');
  const perSecond = numberOf(finding.evidence, 'perSecond');
  const freshness = textOf(finding.evidence, 'freshness') ?? 'unspecified';
  const id = `${ID}:${finding.object ?? 'reads'}`;
  const select = selectOf(pattern);
  const view = qualified(`${(finding.object ?? 'hot').replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_cached`);
  const options: EscalationOption[] = [
    {
      id: 'cache-ttl',
      title: 'Application cache with a TTL',
      summary: `Cache the result outside the database (e.g. Redis) for a TTL within the freshness requirement (${freshness}); no schema change.`,
      impact: {
        performance: 'Cache hits never reach the database.',
        consistency: "Stale up to the TTL; invalidation is the application's job.",
        scalability: 'The database load drops to the miss rate.',
      },
      risk: 'medium',
      blockingSeconds: null,
    },
  ];
  if (select) {
    options.push({
      id: 'materialized-view',
      title: 'Materialized view refreshed on a schedule',
      summary: `Precompute the result in ${view}; refresh it at the freshness interval.`,
      impact: {
        performance: 'Reads are a scan of a precomputed table.',
        consistency: 'Stale between refreshes; consistent within one.',
        scalability: 'Refresh cost grows with the underlying tables.',
      },
      risk: 'low',
      blockingSeconds: 0,
      replacement: [
        addedStep(
          context,
          `${id}:view`,
          `CREATE MATERIALIZED VIEW ${view} AS ${select}`,
          `DROP MATERIALIZED VIEW IF EXISTS ${view}`,
        ),
      ],
    });
  }
  options.push({
    id: 'none',
    title: 'No cache',
    summary: 'Serve every read from the tables, with the right indexes.',
    impact: {
      performance: `Every one of the ${perSecond ?? 'many'} reads/s hits the database.`,
      consistency: 'Always fresh.',
      scalability: 'Read load grows with traffic: replicas or a bigger server later.',
    },
    risk: 'low',
    blockingSeconds: null,
  });
  const strict = durationSeconds(freshness) === 0 || /real.?time|immediate/i.test(freshness);
  return {
    id,
    trigger: ID,
    task: context.task,
    problem: `Hot reads${perSecond !== undefined ? ` at ${perSecond.toLocaleString('en')}/s` : ''}${pattern ? ` (${pattern})` : ''} with freshness ${freshness}.`,
    attempted: [
      'Compared the read rate with the freshness requirement.',
      select
        ? 'Parsed the pattern as a query for a materialized view.'
        : 'The pattern is not a single SELECT: no materialized view is drafted.',
    ],
    options,
    recommendation: strict
      ? { optionId: 'none', reason: 'The freshness requirement leaves no room for a cached copy.' }
      : select
        ? {
            optionId: 'materialized-view',
            reason: 'It stays inside the database, transactional to refresh, and within the freshness requirement.',
          }
        : {
            optionId: 'cache-ttl',
            reason: 'A TTL within the freshness requirement takes most reads off the database.',
          },
    principles: ['Caching architecture: data freshness vs response time'],
    evidence: { pattern, perSecond, freshness },
    steps: [],
  };
}

export const caching: EscalationTrigger = {
  id: ID,
  explanation: `Hot reads with a freshness requirement (${REQ}) are a trade of staleness for load: an application cache, a materialized view, or none.`,
  remedy: 'Pick one option: an application cache with a TTL, a materialized view refreshed on a schedule, or no cache.',
  raise: (context) => findingsOf(context, REQ).map((finding) => escalationFor(finding, context)),
  examples: {
    fires: [
      {
        title: 'a product page read 5,000 times a second, 1 minute stale is fine',
        modelingFindings: [
          exampleFinding(REQ, 'product_page', {
            pattern: 'SELECT id, title, price FROM products WHERE active',
            perSecond: 5000,
            freshness: '1 minute',
          }),
        ],
        ids: [`${ID}:product_page`],
      },
      {
        title: 'a price list read 800 times a second, 30s stale is fine',
        modelingFindings: [exampleFinding(REQ, 'price_list', { perSecond: 800, freshness: '30s' })],
        ids: [`${ID}:price_list`],
      },
      {
        title: 'a stock level that must be real-time',
        modelingFindings: [exampleFinding(REQ, 'stock_level', { perSecond: 800, freshness: 'real-time' })],
        ids: [`${ID}:stock_level`],
      },
    ],
    quiet: [
      {
        title: 'no caching requirement',
        modelingFindings: [exampleFinding('SW-REQ-TECHNOLOGY-FIT', 'x', {})],
        ids: [],
      },
    ],
  },
};
