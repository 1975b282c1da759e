import type { Client } from '@temporalio/client';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import { escapeHtml, page } from './html';

export interface WebDependencies {
  store: Pool;
  temporal: Client;
  taskQueue: string;
  temporalUiUrl?: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, deps: WebDependencies) => Promise<void>;

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

const routes: Record<string, Handler> = {
  'GET /': async (_req, res, deps) => {
    const rows: string[] = [];
    // Visibility lists newest first; the dev server's SQLite visibility has no ORDER BY.
    for await (const run of deps.temporal.workflow.list({ query: `TaskQueue = "${deps.taskQueue}"` })) {
      rows.push(
        `<tr><td><code>${escapeHtml(run.workflowId)}</code></td><td>${escapeHtml(run.type)}</td><td>${escapeHtml(run.status.name)}</td><td>${escapeHtml(run.startTime.toISOString())}</td></tr>`,
      );
      if (rows.length >= 50) break;
    }
    const ui = deps.temporalUiUrl ? `<p>Temporal UI: <a href="${escapeHtml(deps.temporalUiUrl)}">${escapeHtml(deps.temporalUiUrl)}</a></p>` : '';
    const table = rows.length
      ? `<table><thead><tr><th>workflow</th><th>type</th><th>status</th><th>started</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : '<p>No workflows yet.</p>';
    send(res, 200, 'text/html; charset=utf-8', page('Requests', `${ui}${table}`));
  },
  'GET /healthz': async (_req, res, deps) => {
    await deps.store.query('SELECT 1');
    await deps.temporal.workflowService.getSystemInfo({});
    send(res, 200, 'application/json', JSON.stringify({ store: 'ok', temporal: 'ok' }));
  },
};

export function createWebServer(deps: WebDependencies): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = routes[`${req.method} ${path}`];
    if (!handler) return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${req.method} ${path}\n`);
    handler(req, res, deps).catch((error: Error) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `Internal error: ${error.message}\n`);
      else res.end();
    });
  });
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => {
      server.off('error', rejectListen);
      const address = server.address();
      resolveListen(typeof address === 'object' && address ? address.port : port);
    });
  });
}
