import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { redact } from './log';
import { registry } from './metrics';

/** A check of something the process needs (the store, Temporal): resolves when it answers. */
export type HealthCheck = () => Promise<unknown>;

export interface OperationsEndpoints {
  /** Must answer for the process to be healthy. */
  checks: Record<string, HealthCheck>;
  /** Reported beside the checks, never failing them (Slack being down does not stop the web server). */
  notes?: () => Record<string, string>;
  /** More Prometheus text to append to /metrics (the Temporal SDK's own, from its exporter). */
  moreMetrics?: () => Promise<string>;
}

const CHECK_TIMEOUT_MS = 3_000;

function withinTimeout(check: HealthCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`), CHECK_TIMEOUT_MS);
  });
  const answer = check().then(
    () => 'ok',
    (error: unknown) => redact((error instanceof Error ? error.message : String(error)).split('\n')[0]),
  );
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

/** Runs every check: 200 with each one's `ok`, or 503 with what failed in its own words (redacted). */
export async function health(
  endpoints: OperationsEndpoints,
): Promise<{ status: number; body: Record<string, string> }> {
  const names = Object.keys(endpoints.checks);
  const answers = await Promise.all(names.map((name) => withinTimeout(endpoints.checks[name])));
  const body = Object.fromEntries(names.map((name, i) => [name, answers[i]]));
  return {
    status: answers.every((answer) => answer === 'ok') ? 200 : 503,
    body: { ...body, ...endpoints.notes?.() },
  };
}

/**
 * GET /metrics (Prometheus text) and GET /healthz (JSON), for any Node HTTP server to mount: returns
 * false for every other request, which the server then routes itself.
 */
export function operationsRoutes(
  endpoints: OperationsEndpoints,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/healthz')) return false;
    const answer =
      path === '/metrics'
        ? metricsText(endpoints).then((text) => ({ status: 200, type: registry.contentType, text }))
        : health(endpoints).then(({ status, body }) => ({
            status,
            type: 'application/json; charset=utf-8',
            text: JSON.stringify(body),
          }));
    answer
      .then(({ status, type, text }) =>
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(text),
      )
      .catch((error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${redact(error.message)}\n`));
    return true;
  };
}

async function metricsText(endpoints: OperationsEndpoints): Promise<string> {
  const own = await registry.metrics();
  const more = await endpoints
    .moreMetrics?.()
    .catch((error: Error) => `# temporal sdk metrics unavailable: ${redact(error.message)}\n`);
  return more ? `${own}\n${more}` : own;
}

/** The worker's own small server for /metrics and /healthz (the web server mounts the routes instead). */
export function serveOperations(endpoints: OperationsEndpoints, port: number, host: string): Promise<Server> {
  const routes = operationsRoutes(endpoints);
  const server = createServer((req, res) => {
    if (!routes(req, res))
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: /metrics and /healthz only\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
