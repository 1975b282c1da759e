import type { Catalog } from '../../postgres/introspection';
import { readTargetCatalog } from '../../postgres/target';
import type { Finding } from '../../artifacts/findings';
import { designDocuments, type DesignDocumentName } from './documents';
import { designMigration, type DesignMigration } from './design-migration';
import type { DesignModel } from './design-model';
import { erdOfCatalog } from './erd';
import { verifyIndexes, type IndexVerification } from './index-verification';
import { modelSpec } from './model';
import { withoutUnusedIndexes } from './unused-indexes';
import { loadSpec, type DesignSpec } from './spec';

export { designMigration, DesignDdlError, type DesignMigration } from './design-migration';
export type * from './design-model';
export { designDocuments, type DesignDocumentName } from './documents';
export { erdOfCatalog, erdOfModel } from './erd';
export { MODELING_FINDING_KINDS, MODELING_THRESHOLDS } from './findings';
export { verifyIndexes, type IndexVerification, type PatternVerification } from './index-verification';
export type { TableStatistics } from './shaped-statistics';
export { modelSpec, type ModelOptions } from './model';
export { withoutUnusedIndexes } from './unused-indexes';
export { loadSqlParser } from './patterns';
export { issueText, loadSpec, SpecError, type DesignSpec, type SpecIssue } from './spec';

export interface ModelDesignOptions {
  fileName?: string;
  /** With a target: the migration to it, the index verification on its server, and its current ERD drawn from its catalog. */
  target?: DesignTarget;
  /** Range partitions start from this day; the clock by default. */
  now?: Date;
  /** Called as each phase starts, for progress on long work. */
  progress?: (message: string) => void;
}

/** The target a design migrates: where its shadow databases go, and its catalog (in a request, the one analysis stored; read when absent). */
export interface DesignTarget {
  connectionString: string;
  catalog?: Catalog;
}

export interface ModelDesignResult {
  spec: DesignSpec;
  model: DesignModel;
  migration?: DesignMigration;
  verification?: IndexVerification;
  documents: Record<DesignDocumentName, string>;
  findings: Finding[];
}

/**
 * The modeling phase in one call: validate the spec (SpecError lists every problem), model it, and
 * with a target, design the migration, verify the indexes and draw the current schema. The
 * activity stores the documents as artifacts; the CLI prints or writes them.
 */
export async function modelDesign(specText: string, options: ModelDesignOptions = {}): Promise<ModelDesignResult> {
  const progress = options.progress ?? (() => undefined);
  progress('validating the spec');
  const spec = await loadSpec(specText, options.fileName);
  progress(`modeling ${spec.entities.length} entities and ${spec.accessPatterns.length} access patterns`);
  const planned = modelSpec(spec, { now: options.now });
  if (!options.target) {
    return {
      spec,
      model: planned,
      documents: designDocuments({ model: planned, findings: planned.findings }),
      findings: planned.findings,
    };
  }
  let catalog = options.target.catalog;
  if (!catalog) {
    progress('reading the target schema');
    catalog = await readTargetCatalog(options.target.connectionString);
  }
  const target = { connectionString: options.target.connectionString, catalog };
  const currentErd = erdOfCatalog(catalog);
  progress("verifying the index plan with EXPLAIN, statistics shaped to the spec's volumes");
  const verification = await verifyIndexes(planned, target);
  // What no plan reads at the spec's volumes is not built: the migration is designed without it.
  const model = withoutUnusedIndexes(spec, planned, verification);
  progress('designing the migration on a shadow database');
  const migration = await designMigration(model, target, { now: options.now });
  return {
    spec,
    model,
    migration,
    verification,
    documents: designDocuments({ model, findings: model.findings, migration, verification, currentErd }),
    findings: model.findings,
  };
}
