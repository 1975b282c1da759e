import type { Catalog, Table } from '../../../postgres/introspection';
import type { Finding } from '../../../artifacts/findings';

// Inputs for the triggers' examples (which run as tests): findings and catalogs as triggers read them.

/** A finding for examples: only what triggers read. */
export function exampleFinding(id: string, object: string, evidence: Record<string, unknown>): Finding {
  return {
    id,
    source: 'schemawright',
    severity: 'warning',
    object,
    message: `${id} on ${object}`,
    why: 'example',
    evidence,
  };
}

/** A catalog with the given tables and nothing else, for examples: columns as `name: format_type`. */
export function exampleCatalog(
  tables: Record<
    string,
    { columns: Record<string, string>; primaryKey?: string[]; partitioning?: Table['partitioning'] }
  >,
): Catalog {
  const now = '2026-01-01T00:00:00Z';
  return {
    meta: { database: 'example', serverVersion: '18.0', serverVersionNum: 180000, introspectedAt: now },
    schemas: ['public'],
    extensions: [],
    enums: [],
    views: [],
    sequences: [],
    stats: { statsResetAt: null, serverStartedAt: now, statements: null },
    tables: Object.entries(tables).map(([key, t]) => ({
      schema: key.split('.')[0]!,
      name: key.split('.')[1]!,
      kind: 'table',
      persistence: 'permanent',
      columns: Object.entries(t.columns).map(([name, type]) => ({
        name,
        type,
        baseType: type,
        nullable: !t.primaryKey?.includes(name),
        default: null,
        identity: null,
        generated: null,
        serialSequence: null,
        collation: null,
        securityLabels: {},
      })),
      constraints: t.primaryKey
        ? [
            {
              name: `${key.split('.')[1]}_pkey`,
              kind: 'primary key',
              columns: t.primaryKey,
              definition: `PRIMARY KEY (${t.primaryKey.join(', ')})`,
              references: null,
              validated: true,
              deferrable: false,
              inherited: false,
            },
          ]
        : [],
      indexes: [],
      triggers: [],
      policies: [],
      rowSecurity: false,
      forceRowSecurity: false,
      partitioning: t.partitioning ?? null,
      partitionOf: null,
      comment: null,
      stats: {
        rowEstimate: null,
        liveTuples: 0,
        deadTuples: 0,
        tableBytes: 0,
        totalBytes: 0,
        seqScans: 0,
        seqTuplesRead: 0,
        idxScans: 0,
        lastAnalyzedAt: null,
      },
    })),
  };
}
