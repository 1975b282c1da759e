import type { Finding } from '../../artifacts/findings';
import type { Migration } from '../../artifacts/migration';
import { planMigrations, type Plan } from '../../activities/review/plan';
import type { Catalog } from '../../postgres/introspection';
import { artifactNamed, getArtifact, type ArtifactRef } from '../../store/artifacts';
import type { RequestStatusView } from '../../workflows/design-request-messages';
import { questionDetails } from '../question-details';
import { requestStatus, type RequestServices } from '../requests';
import { upScript } from './highlight';
import type { PhaseFindings, RequestPageData } from './pages';

/** Where each phase keeps its findings. */
const FINDINGS: [PhaseFindings['phase'], string][] = [
  ['analysis', 'findings'],
  ['modeling', 'modeling-findings'],
  ['review', 'review-findings'],
];

/** Artifacts are addressed by their digest, so what was read once never changes: a running page's events read few. */
const cache = new Map<string, string>();
const CACHE_ENTRIES = 256;

async function artifactText(store: RequestServices['store'], ref: ArtifactRef): Promise<string> {
  const cached = cache.get(ref.digest);
  if (cached !== undefined) return cached;
  const { content } = await getArtifact(store, ref.digest);
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(ref.digest, content);
  return content;
}

/** Everything a request's page shows, read from its status and its artifacts. */
export async function requestPageData(
  services: RequestServices,
  requestId: string,
  known?: RequestStatusView,
): Promise<RequestPageData> {
  const status = known ?? (await requestStatus(services, requestId));
  const text = async (name: string) => {
    const ref = artifactNamed(status.artifacts, name);
    return ref ? artifactText(services.store, ref) : undefined;
  };
  const json = async <T>(name: string) => {
    const content = await text(name);
    return content === undefined ? undefined : (JSON.parse(content) as T);
  };
  const findings: PhaseFindings[] = [];
  for (const [phase, name] of FINDINGS) {
    const list = await json<Finding[]>(name);
    if (list) findings.push({ phase, findings: list });
  }
  // Review's migrations, with the choices made, once there are; modeling's until then.
  const migrations = (await json<Migration[]>('review-migration')) ?? (await json<Migration[]>('modeling-migration'));
  return {
    status,
    findings,
    erd: await text('erd'),
    migrations,
    plan: migrations?.length ? await planOf(migrations, await json<Catalog>('catalog')) : undefined,
    details: await Promise.all(status.questions.map((q) => questionDetails(services.store, q))),
  };
}

/** The plan the CLI's `plan` shows: each statement's locks and blocking time, sized by the target's catalog. */
async function planOf(migrations: Migration[], catalog: Catalog | undefined): Promise<Plan | { problem: string }> {
  try {
    const files = migrations.map((m) => ({ path: m.source ?? `${m.version}_${m.name}.sql`, up: upScript(m) }));
    return await planMigrations(files, { catalog });
  } catch (error) {
    return { problem: (error as Error).message };
  }
}
