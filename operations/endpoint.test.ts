import type { Server } from 'node:http';
import { Pool } from 'pg';
import { freePort } from '../stack/ports';
import { serveOperations } from './endpoint';
import { stepTimer } from './metrics';

describe('the operations endpoint: /healthz and /metrics over HTTP', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((server) => server.close()));

  async function serve(endpoints: Parameters<typeof serveOperations>[0]): Promise<string> {
    const port = await freePort();
    servers.push(await serveOperations(endpoints, port, '127.0.0.1'));
    return `http://127.0.0.1:${port}`;
  }

  it('answers 503 with what failed when the store does not answer, and never the password', async () => {
    const port = await freePort(); // nothing listens there: a real refused connection
    const store = new Pool({ connectionString: `postgres://app:s3cret-pass@127.0.0.1:${port}/store` });
    const base = await serve({
      checks: {
        store: () => store.query('SELECT 1'),
        temporal: async () => undefined,
        hung: () => new Promise(() => undefined),
      },
      notes: () => ({ slack: 'Slack does not answer' }),
    });
    const answer = await fetch(`${base}/healthz`);
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as Record<string, string>;
    expect(body).toEqual({
      store: expect.stringContaining('ECONNREFUSED'),
      temporal: 'ok',
      hung: 'no answer within 3 s',
      slack: 'Slack does not answer',
    });
    expect(JSON.stringify(body)).not.toContain('s3cret');
    await store.end();
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });

  it('serves its own metrics and the ones it is given, in the Prometheus text format', async () => {
    const timeStep = stepTimer();
    timeStep({ step: 'add-column', status: 'started' });
    timeStep({ step: 'add-column', status: 'applied' });
    const base = await serve({
      checks: {},
      moreMetrics: async () => '# TYPE temporal_worker_start counter\ntemporal_worker_start 1\n',
    });
    const answer = await fetch(`${base}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    expect(text).toMatch(/^schemawright_apply_step_duration_seconds_count\{outcome="applied"\} 1$/m);
    expect(text).toMatch(/^temporal_worker_start 1$/m);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
