import type { Escalation } from '../../../artifacts/escalation';
import type { Finding } from '../../../artifacts/findings';
import { addedStep, findingsOf, textOf } from './context';
import { exampleFinding } from './examples';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-TECHNOLOGY';
const FIT = 'SW-REQ-TECHNOLOGY-FIT';

/** What PostgreSQL itself offers for a need, and the specialised store it is usually compared with. */
interface Fit {
  feature: string;
  /** Extension to create, when the feature is one. */
  extension?: string;
  store: string;
}

const FITS: [RegExp, Fit][] = [
  [
    /full.?text|search/i,
    {
      feature: 'full-text search (tsvector, GIN) with pg_trgm for fuzzy matching',
      extension: 'pg_trgm',
      store: 'Elasticsearch or OpenSearch',
    },
  ],
  [
    /vector|embedding|similarity/i,
    { feature: 'pgvector (vector type, HNSW indexes)', extension: 'vector', store: 'a vector database' },
  ],
  [
    /time.?series|metric|telemetry/i,
    {
      feature: 'range partitioning by time with BRIN indexes',
      store: 'a time-series database (TimescaleDB, InfluxDB)',
    },
  ],
  [
    /graph|travers|hierarch/i,
    { feature: 'recursive CTEs, and ltree for hierarchies', extension: 'ltree', store: 'a graph database (Neo4j)' },
  ],
  [
    /document|schemaless|free.?form/i,
    { feature: 'jsonb columns with GIN indexes', store: 'a document store (MongoDB)' },
  ],
  [/geo|spatial/i, { feature: 'PostGIS', extension: 'postgis', store: 'a dedicated geospatial service' }],
];

function fitOf(need: string): Fit {
  return (
    FITS.find(([pattern]) => pattern.test(need))?.[1] ?? {
      feature: 'the relational model with suitable indexes',
      store: 'a specialised store for this need',
    }
  );
}

function escalationFor(finding: Finding, context: EscalationContext): Escalation {
  const need = textOf(finding.evidence, 'need') ?? finding.object ?? 'unspecified';
  const detail = textOf(finding.evidence, 'detail');
  const fit = fitOf(`${need} ${detail ?? ''}`);
  const id = `${ID}:${need}`;
  const extension =
    fit.extension &&
    addedStep(
      context,
      `${id}:extension`,
      `CREATE EXTENSION IF NOT EXISTS ${fit.extension}`,
      `DROP EXTENSION IF EXISTS ${fit.extension}`,
    );
  return {
    id,
    trigger: ID,
    task: context.task,
    problem: `The requirements need ${need}${detail ? ` (${detail})` : ''}, which the relational model serves less directly.`,
    attempted: [`Matched the need to what PostgreSQL offers: ${fit.feature}.`],
    options: [
      {
        id: 'postgres-feature',
        title: `PostgreSQL: ${fit.feature}`,
        summary: `Serve it inside PostgreSQL with ${fit.feature}${fit.extension ? ` (CREATE EXTENSION ${fit.extension})` : ''}.`,
        impact: {
          performance: 'Good up to large volumes; below a specialised engine at its extremes.',
          consistency: 'Transactional with the rest of the data.',
          scalability: 'Scales with the one database: vertically, then by partitioning.',
        },
        risk: 'low',
        blockingSeconds: 0,
        ...(extension ? { replacement: [extension] } : {}),
      },
      {
        id: 'specialised-store',
        title: `A specialised store: ${fit.store}`,
        summary: `Keep this data in ${fit.store} beside PostgreSQL; no schema change here.`,
        impact: {
          performance: 'Best for this workload.',
          consistency: 'Eventual between the stores: the application or a pipeline keeps them in step.',
          scalability: 'Scales independently; one more system to run, secure and back up.',
        },
        risk: 'high',
        blockingSeconds: null,
      },
      {
        id: 'hybrid',
        title: `Hybrid: PostgreSQL as the source of truth, ${fit.store} as a derived index`,
        summary: `Write to PostgreSQL${fit.extension ? ` (with ${fit.extension})` : ''}; feed ${fit.store} from it (logical replication or an outbox) for the queries it is best at.`,
        impact: {
          performance: 'Each query goes to the engine best at it.',
          consistency: 'PostgreSQL is authoritative; the derived store lags.',
          scalability: 'Both scale; the pipeline is one more thing to operate.',
        },
        risk: 'medium',
        blockingSeconds: 0,
        ...(extension ? { replacement: [extension] } : {}),
      },
    ],
    recommendation: {
      optionId: 'postgres-feature',
      reason:
        'One system, transactional with the rest of the data; move to a specialised store when measurements say so.',
    },
    principles: ['Technology selection: ACID requirements vs scalability needs', 'Simplicity: fewer systems to run'],
    evidence: { need, detail },
    steps: [],
  };
}

export const technology: EscalationTrigger = {
  id: ID,
  explanation: `Requirements the relational model serves badly (${FIT}: free-form documents, graph traversals, search, time series) call for a technology choice only a person can make.`,
  remedy:
    'Pick one option: the PostgreSQL feature or extension, a specialised store, or a hybrid with PostgreSQL as the ' +
    'source of truth.',
  raise: (context) => findingsOf(context, FIT).map((finding) => escalationFor(finding, context)),
  examples: {
    fires: [
      {
        title: 'full-text search over product descriptions',
        modelingFindings: [
          exampleFinding(FIT, 'product', {
            need: 'full-text search',
            detail: 'fuzzy search over 10M product descriptions',
          }),
        ],
        ids: [`${ID}:full-text search`],
      },
    ],
    quiet: [
      { title: 'no technology finding', modelingFindings: [exampleFinding('SW-M-INDEX-PLAN', 'product', {})], ids: [] },
    ],
  },
};
