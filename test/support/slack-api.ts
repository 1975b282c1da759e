import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackApiCall {
  method: string;
  /** Form fields as sent, with JSON fields (blocks, view) parsed. */
  args: Record<string, unknown>;
  authorization?: string;
  /** What the stand-in answered (a posted message's `ts` names it in later updates). */
  answer?: Record<string, unknown>;
}

/**
 * A local HTTP server in place of slack.com/api: records every Web API call and answers like Slack
 * does (ok, channel, ts), so that a real WebClient and a real Bolt app can run offline.
 */
export interface SlackApiStandIn {
  url: string;
  calls: SlackApiCall[];
  /** Bodies POSTed to response_url paths (`/response/...`). */
  responses: { path: string; body: Record<string, unknown> }[];
  callsTo(method: string): SlackApiCall[];
  /** A file as Slack keeps it: files.info describes it, its private URL serves it to a bearer. */
  addFile(id: string, name: string, content: string): void;
  /** Authorization headers of the private-URL downloads. */
  downloads: string[];
  /** The next call to `method` answers like Slack does on failure (`ok: false`). */
  failNext(method: string, error?: string): void;
  /** Slack unreachable: the port refuses connections until `up`. */
  down(): Promise<void>;
  /** Slack back, on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startSlackApiStandIn(): Promise<SlackApiStandIn> {
  const calls: SlackApiCall[] = [];
  const responses: SlackApiStandIn['responses'] = [];
  let counter = 0;
  const failures = new Map<string, string>();
  const files = new Map<string, { name: string; content: string }>();
  const downloads: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const body = (req.headers['content-type'] ?? '').includes('json')
        ? (JSON.parse(raw || '{}') as Record<string, unknown>)
        : formArgs(raw);
      const download = /^\/files\/([^/]+)$/.exec(path);
      if (download) {
        downloads.push(req.headers.authorization ?? '');
        const file = files.get(download[1]);
        if (!file || !req.headers.authorization) res.writeHead(404).end();
        else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file.content);
        return;
      }
      if (path.startsWith('/response/')) {
        responses.push({ path, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return;
      }
      const method = path.replace(/^\/api\//, '');
      const call: SlackApiCall = { method, args: body, authorization: req.headers.authorization };
      calls.push(call);
      const failure = failures.get(method);
      if (failure) {
        failures.delete(method);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: failure }));
        return;
      }
      const ts = `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`;
      const answer: Record<string, unknown> = { ok: true };
      if (method.startsWith('chat.')) Object.assign(answer, { channel: body.channel, ts: body.ts ?? ts });
      if (method === 'auth.test') Object.assign(answer, { user_id: 'UBOT', bot_id: 'B1', team_id: 'T1' });
      if (method.startsWith('views.')) Object.assign(answer, { view: { id: `V${counter}` } });
      if (method === 'files.info') {
        const file = files.get(String(body.file));
        Object.assign(
          answer,
          file
            ? {
                file: {
                  id: body.file,
                  name: file.name,
                  size: Buffer.byteLength(file.content),
                  url_private_download: `${url}/files/${body.file}`,
                },
              }
            : { ok: false, error: 'file_not_found' },
        );
      }
      call.answer = answer;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return {
    url,
    calls,
    responses,
    callsTo: (method) => calls.filter((c) => c.method === method),
    failNext: (method, error = 'internal_error') => void failures.set(method, error),
    addFile: (id, name, content) => void files.set(id, { name, content }),
    downloads,
    down: close,
    up: () => new Promise<void>((r, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => r())),
    close: () => (server.listening ? close() : Promise.resolve()),
  };
}

function formArgs(raw: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
