import type { Server } from 'node:http';
import type { ProcessLog } from './log';

/** `/requests/<id>` and `/api/requests/<id>...`: the request a page or call concerns. */
const REQUEST_PATH = /^(?:\/api)?\/requests\/([A-Za-z0-9_-]{1,64})(?:\/|$)/;

/**
 * One JSON line per answered HTTP request: method, path (never the query string, where email links
 * carry their tokens), status, time, and the request id when the path names one.
 */
export function logHttpRequests(server: Server, log: ProcessLog): void {
  server.on('request', (req, res) => {
    const began = performance.now();
    const path = (req.url ?? '').split('?')[0];
    if (path === '/metrics' || path === '/healthz') return;
    res.once('finish', () =>
      log.info('http', {
        method: req.method,
        path: path.slice(0, 200),
        status: res.statusCode,
        ms: Math.round(performance.now() - began),
        requestId: REQUEST_PATH.exec(path)?.[1],
      }),
    );
  });
}
