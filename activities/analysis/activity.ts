import type { Pool } from 'pg';
import { renderFindings } from '../../artifacts/findings-report';
import { putArtifact, putJson } from '../../store/artifacts';
import type { AnalysisOutcome, RequestActivities } from '../contracts';
import { heartbeating } from '../heartbeat';
import { analyzeTarget } from './analyze';
import type { AnalysisOptions } from './findings';

/** The analysis activity: the engine over the named target, its results stored as artifacts. */
export function createAnalysisActivities(store: Pool): Pick<RequestActivities, 'analyzeTarget'> {
  return { analyzeTarget: (input) => heartbeating(() => storeAnalysis(store, input.target)) };
}

/**
 * The analysis phase for a named target: the catalog, the findings and a readable report go to the
 * store as artifacts; the workflow gets their refs, the fingerprint and the counts.
 */
export async function storeAnalysis(
  store: Pool,
  target: string,
  options: AnalysisOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<AnalysisOutcome> {
  const analysis = await analyzeTarget(target, options, { env });
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
      catalog: await putJson(store, 'catalog', catalog),
      findings: await putJson(store, 'analysis-findings', findings),
      report: await putArtifact(
        store,
        'analysis-report',
        'text/markdown',
        renderFindings(findings, 'markdown', summary),
      ),
    },
  };
}
