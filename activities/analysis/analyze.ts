import type { ClientBase } from 'pg';
import type { Finding, Severity } from '../../artifacts/findings';
import { DEFAULT_THRESHOLDS } from '../../artifacts/thresholds';
import { ANALYSIS_FINDING_KINDS, type AnalysisContext, type AnalysisOptions } from './findings';
import {
  fingerprint,
  introspect,
  qualifiedName,
  type Catalog,
  type IntrospectOptions,
} from '../../postgres/introspection';
import { withTarget, type TargetOptions } from '../../postgres/target';

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function analysisContext(catalog: Catalog, options: AnalysisOptions = {}): AnalysisContext {
  const tables = new Map(catalog.tables.map((t) => [qualifiedName(t), t]));
  return {
    catalog,
    piiColumns: options.piiColumns ?? [],
    volumes: options.volumes ?? {},
    thresholds: { ...DEFAULT_THRESHOLDS, ...options.thresholds },
    now: new Date(catalog.meta.introspectedAt),
    table: (name) => tables.get(name),
  };
}

/** Every analysis finding for a catalog: errors first, then by id and object, so reports and diffs are stable. */
export function analyzeCatalog(catalog: Catalog, options: AnalysisOptions = {}): Finding[] {
  const context = analysisContext(catalog, options);
  return ANALYSIS_FINDING_KINDS.flatMap((kind) => kind.find(context)).sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      compare(a.id, b.id) ||
      compare(a.object ?? '', b.object ?? ''),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface DatabaseAnalysis {
  catalog: Catalog;
  fingerprint: string;
  findings: Finding[];
}

/** Read a live database and analyse it. */
export async function analyzeDatabase(
  client: ClientBase,
  options: AnalysisOptions & IntrospectOptions = {},
): Promise<DatabaseAnalysis> {
  const catalog = await introspect(client, options);
  return { catalog, fingerprint: fingerprint(catalog), findings: analyzeCatalog(catalog, options) };
}

/** The analysis phase: a target (a configured name or a URL) read and analysed; what the CLI prints and the activity stores. */
export function analyzeTarget(
  target: string,
  options: AnalysisOptions = {},
  connection: TargetOptions = {},
): Promise<DatabaseAnalysis> {
  return withTarget(target, (client) => analyzeDatabase(client, options), connection);
}
