import { request } from 'node:http';
import { Readable } from 'node:stream';
import { targetVariable } from '../../config/targets';
import { startApprovalsServer, type ApprovalsServer } from '../../test/support/approvals-server';

const RITA = 'rita-token-0123456789';
const MB = 1024 * 1024;

/**
 * POSTs `totalBytes` of body generated on the fly (the test holds one 64 KiB chunk, never the body),
 * and samples this process's memory, which holds the server too, until the answer.
 */
function postHuge(
  url: string,
  totalBytes: number,
  declareLength: boolean,
): Promise<{ status: number; peakGrowthBytes: number }> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  const body = new Readable({
    read() {
      if (sent >= totalBytes) return void this.push(null);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(declareLength ? { 'content-length': String(totalBytes) } : {}),
    };
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => {
        clearInterval(sampler);
        peak = Math.max(peak, process.memoryUsage().rss);
        body.destroy();
        req.destroy();
        resolve({ status: res.statusCode ?? 0, peakGrowthBytes: peak - before });
      });
    });
    // Once the server answers and closes, the rest of the upload fails to write: that is the point.
    req.on('error', (error) => (req.headersSent && sent > 0 ? undefined : reject(error)));
    body.pipe(req);
  });
}

describe('the approvals web server under attack: body limits, headers, artifact names, targets', () => {
  let approvals: ApprovalsServer;
  let base: string;

  beforeAll(async () => {
    approvals = await startApprovalsServer({ apiTokens: `rita:${RITA}` });
    base = approvals.base;
    // Warm: the first requests load code that the measured ones would otherwise count.
    await postHuge(`${base}/slack/events`, 2 * MB, true);
    await postHuge(`${base}/slack/events`, 2 * MB, false);
  });
  afterAll(() => approvals?.close());

  const api = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${RITA}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('a 300 MB unsigned POST to /slack/events is refused with 413, read no further than the limit', async () => {
    const declared = await postHuge(`${base}/slack/events`, 300 * MB, true);
    expect(declared.status).toBe(413);
    expect(declared.peakGrowthBytes).toBeLessThan(10 * MB);
    const chunked = await postHuge(`${base}/slack/events`, 300 * MB, false);
    expect(chunked.status).toBe(413);
    expect(chunked.peakGrowthBytes).toBeLessThan(10 * MB);
  });

  it('every other POST route refuses a 300 MB body with 413 before it checks a token, a link or a form', async () => {
    for (const path of ['/api/requests', '/api/requests/some-request/decisions', '/decide']) {
      for (const declareLength of [true, false]) {
        const { status, peakGrowthBytes } = await postHuge(`${base}${path}`, 300 * MB, declareLength);
        expect([path, declareLength, status]).toEqual([path, declareLength, 413]);
        expect(peakGrowthBytes).toBeLessThan(10 * MB);
      }
    }
  });

  it('every answer carries the CSP, X-Frame-Options DENY, nosniff and no-referrer; the CSP allows scripts from this server only, never inline', async () => {
    const answers = [
      await fetch(`${base}/`),
      await fetch(`${base}/healthz`),
      await fetch(`${base}/requests/no-such-request`),
      await fetch(`${base}/nowhere`),
      await fetch(`${base}/requests/%E0%A4%A`),
      await fetch(`${base}/api/requests/x`),
      await fetch(`${base}/slack/events`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 404, 404, 400, 401, 401]);
    for (const answer of answers) {
      expect(answer.headers.get('content-security-policy')).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('artifact names that are Object.prototype properties name no artifact: 404, not 500', async () => {
    const started = await api('/api/requests', {
      kind: 'change',
      target: approvals.harness.target.name,
      environment: 'production',
      source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN note text;' },
    });
    const { requestId } = (await started.json()) as { requestId: string };
    expect((await fetch(`${base}/requests/${requestId}/artifacts/source`)).status).toBe(200);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const answer = await fetch(`${base}/requests/${requestId}/artifacts/${name}`);
      expect([name, answer.status, await answer.text()]).toEqual([
        name,
        404,
        expect.stringContaining(`request ${requestId} has no artifact &#39;${name}&#39;`),
      ]);
    }
  });

  it('a target must be configured or named in the policy: the store’s own database, postgres and an unknown name are refused with how to configure one', async () => {
    const { rows } = await approvals.store.pool.query<{ name: string }>('SELECT current_database() AS name');
    const refusal = async (target: string) => {
      const answer = await api('/api/requests', { kind: 'review', target, environment: 'production' });
      return [answer.status, ((await answer.json()) as { error: string }).error];
    };
    expect(await refusal(rows[0].name)).toEqual([
      400,
      `the request was not started: target '${rows[0].name}' is the project store's own database, which is never a target: choose another target`,
    ]);
    expect(await refusal('postgres')).toEqual([
      400,
      `the request was not started: target 'postgres' is a PostgreSQL maintenance database, not a target: choose another target, or set SCHEMAWRIGHT_TARGET_POSTGRES_URL if you mean it`,
    ]);
    expect(await refusal('nowhere')).toEqual([
      400,
      `the request was not started: target 'nowhere' is not configured: name it under targets in the approval policy (SCHEMAWRIGHT_POLICY; it is then the database 'nowhere' on the store's server), or set ${targetVariable('nowhere')}=postgres://user:password@host:port/database where requests are started and where the workers run`,
    ]);
  });
});
