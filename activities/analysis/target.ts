import type { Pool } from 'pg';
import { putArtifact } from '../../store/artifacts';
import { withTarget } from '../../postgres/target';
import type { AnalysisOutcome } from '../contracts';
import { analyzeDatabase } from './analyze';
import type { AnalysisOptions } from './findings';
import { renderFindings } from '../../artifacts/findings-report';
import { fingerprint, introspect } from '../../postgres/introspection';

/**
 * The analysis phase for a named target: the catalog, the findings and a readable report go to the
 * store as artifacts; the workflow gets their refs, the fingerprint and the counts.
 */
export async function analyzeTarget(store: Pool, target: string, options: AnalysisOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<AnalysisOutcome> {
  const analysis = await withTarget(target, (client) => analyzeDatabase(client, options), env);
  const { catalog, findings } = analysis;
  const indexes = [...catalog.tables, ...catalog.views].reduce((n, r) => n + r.indexes.length, 0);
  const summary = { target, fingerprint: analysis.fingerprint, tables: catalog.tables.length, indexes };
  return {
    fingerprint: analysis.fingerprint,
    findings: {
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      infos: findings.filter((f) => f.severity === 'info').length,
    },
    artifacts: {
      catalog: await putArtifact(store, 'catalog', 'application/json', JSON.stringify(catalog)),
      findings: await putArtifact(store, 'analysis-findings', 'application/json', JSON.stringify(findings)),
      report: await putArtifact(store, 'analysis-report', 'text/markdown', renderFindings(findings, 'markdown', summary)),
    },
  };
}

/** The target's structure fingerprint now: what the drift check compares with the one reviewed. */
export async function targetFingerprint(target: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return withTarget(target, async (client) => fingerprint(await introspect(client, { statements: 0 })), env);
}
