import { findNodes, names } from '../../../postgres/ast';
import { parseOne } from '../patterns';
import type { Need } from '../spec';
import { MODELING_THRESHOLDS, modelingFinding, type ModelingContext, type ModelingFindingKind } from './kind';

/** What PostgreSQL offers for each need, and the specialised store beside it. */
const OPTIONS: Record<Need, string> = {
  documents:
    'PostgreSQL: jsonb columns with GIN (jsonb_path_ops) indexes and CHECK constraints on the keys that matter; beside it: a document store (MongoDB) when the documents have no stable shape at all',
  graph:
    'PostgreSQL: recursive CTEs over an edge table with indexes on both ends, or the Apache AGE extension; beside it: a graph database (Neo4j) for deep, variable-length traversals',
  full_text:
    'PostgreSQL: a tsvector column with a GIN index (or pg_trgm for substring matches); beside it: a search engine (OpenSearch, Elasticsearch) for relevance tuning, facets and very large corpora',
  time_series:
    'PostgreSQL: range partitioning by time with BRIN indexes, or the TimescaleDB extension (compression, continuous aggregates); beside it: a time-series database for very high ingest and downsampling',
};

/** Needs the spec does not state but its shape shows, with what shows them. */
function inferredNeeds({ spec, model }: ModelingContext): Map<Need, string> {
  const needs = new Map<Need, string>();
  for (const pattern of spec.accessPatterns) {
    const root = parseOne(pattern.sql);
    const recursive = findNodes(root, 'WithClause').some((w) => w.recursive === true);
    if (recursive) needs.set('graph', `'${pattern.name}' is a recursive query`);
    const textSearch = findNodes(root, 'A_Expr').some((e) => {
      if (names(e.name)[0] === '@@') return true;
      if (e.kind !== 'AEXPR_LIKE' && e.kind !== 'AEXPR_ILIKE') return false;
      // A pattern that is not a constant prefix ('abc%') cannot use a btree: a substring search.
      const pattern = e.rexpr;
      return !(
        pattern &&
        'A_Const' in pattern &&
        pattern.A_Const.sval &&
        !String(pattern.A_Const.sval.sval).startsWith('%')
      );
    });
    if (textSearch && !needs.has('full_text'))
      needs.set(
        'full_text',
        `'${pattern.name}' searches text by substring or text-search operator at ${pattern.perSecond}/s`,
      );
  }
  for (const entity of spec.entities) {
    if (entity.manyToMany.some((r) => r.entity === entity.name))
      needs.set(
        'graph',
        `${entity.name} relates to itself (many-to-many ${entity.manyToMany.find((r) => r.entity === entity.name)!.name}): traversals follow edges`,
      );
    const documents = entity.fields.filter((f) => f.kind === 'scalar' && f.type === 'jsonb');
    if (documents.length > 0 && documents.length * 2 >= entity.fields.length)
      needs.set(
        'documents',
        `${entity.name} keeps most of its data in jsonb (${documents.map((f) => f.name).join(', ')})`,
      );
  }
  for (const plan of model.partitions) {
    if (plan.strategy === 'range' && plan.growthPerDay >= MODELING_THRESHOLDS.timeSeriesRowsPerDay)
      needs.set('time_series', `${plan.table} ingests ${plan.growthPerDay} rows a day by ${plan.key}`);
  }
  return needs;
}

export const technologyFit: ModelingFindingKind = {
  id: 'SW-REQ-TECHNOLOGY-FIT',
  severity: 'warning',
  explanation:
    'A requirement the relational model serves only with help: free-form documents, graph traversals, full-text search at scale, time-series ingest. Stated in the spec (requirements.needs) or shown by it (jsonb-heavy entities, recursive or substring queries, fast time-ordered growth). PostgreSQL with an extension, a specialised store beside it, or a hybrid: the choice is a person’s.',
  remedy:
    'Choose how to serve the requirement: a PostgreSQL feature or extension, a specialised store beside PostgreSQL, ' +
    'or both with PostgreSQL as the source of truth (SW-ESC-TECHNOLOGY asks which).',
  find(context) {
    const inferred = inferredNeeds(context);
    const stated = context.spec.requirements.needs;
    const needs = [...new Set<Need>([...stated, ...inferred.keys()])];
    return needs.map((need) => {
      const detail = [stated.includes(need) ? 'stated in requirements.needs' : undefined, inferred.get(need)]
        .filter(Boolean)
        .join('; ');
      return modelingFinding(technologyFit, {
        object: need,
        message: `the design needs ${need.replace('_', '-')} (${detail})`,
        why: `The relational model serves ${need.replace('_', '-')} with help; choosing the help is a decision with long consequences. Options: ${OPTIONS[need]}.`,
        evidence: { need, detail },
      });
    });
  },
  examples: [
    {
      name: 'full text stated, and shown by a substring search; time series shown by ingest rate',
      spec: `name: t
entities:
  task: { fields: { title: text } }
  sample:
    fields: { recorded_at: timestamptz, value: float8 }
    volume: { rows: 0, growth_per_day: 50000000 }
access_patterns:
  - name: search tasks
    sql: SELECT id FROM task WHERE title ILIKE '%' || $1 || '%'
    per_second: 40
requirements: { needs: [full_text] }
`,
      expect: [
        {
          object: 'full_text',
          message:
            "the design needs full-text (stated in requirements.needs; 'search tasks' searches text by substring or text-search operator at 40/s)",
          evidence: { need: 'full_text' },
        },
        {
          object: 'time_series',
          evidence: { need: 'time_series', detail: 'sample ingests 50000000 rows a day by recorded_at' },
        },
      ],
    },
    {
      name: 'a self-referencing many-to-many is a graph; a prefix LIKE is not a text search',
      spec: `name: social
entities:
  person:
    fields: { handle: text }
    many_to_many: { follows: person }
access_patterns:
  - name: handles starting with
    sql: SELECT id FROM person WHERE handle LIKE 'ab%'
    per_second: 5
`,
      expect: [
        {
          object: 'graph',
          evidence: {
            need: 'graph',
            detail: 'person relates to itself (many-to-many follows): traversals follow edges',
          },
        },
      ],
    },
  ],
};
