import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { waitFor } from '../../stack/wait';
import { requestHarness, type RequestHarness } from '../../test/support/requests';
import { startSlackApiStandIn, type SlackApiStandIn } from '../../test/support/slack-api';
import { SlackSender } from '../../test/support/slack-requests';
import { connectTemporal, createTestStore, type TemporalConnections } from '../../test/support/stack';
import { parseTokenKeys } from '../email/tokens';
import { loadPolicy } from '../policy';
import { createWebServer, listen } from '../web/server';
import { createSlackApp, type SlackApp } from './app';

const SECRET = 'slack-signing-secret-for-tests';

describe('a Slack app started while Slack is unreachable', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  let harness: RequestHarness;
  let slackApi: SlackApiStandIn;
  let slack: SlackApp;
  let server: Server;
  let base: string;
  let sender: SlackSender;
  const logged: string[] = [];
  const warn = console.warn;

  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await requestHarness(temporal, store.pool);
    slackApi = await startSlackApiStandIn();
    await slackApi.down();
    console.warn = (line: unknown) => void (String(line).startsWith('Slack:') && logged.push(String(line)));
    const services = { ...harness.services, policy: loadPolicy() };
    slack = createSlackApp({ services, webBaseUrl: 'http://approvals.test', botToken: 'xoxb-test', signingSecret: SECRET, slackApiUrl: `${slackApi.url}/api/`, reachabilityTimings: { firstRetryMs: 50, maxRetryMs: 200 } });
    server = createWebServer({ services, tokenKeys: parseTokenKeys(`k:${'x'.repeat(32)}`), apiTokens: new Map(), slack: slack.requestListener, slackReachability: slack.reachability });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    sender = new SlackSender(`${base}/slack/events`, SECRET);
    await slack.start();
  });
  afterAll(async () => {
    console.warn = warn;
    await slack?.stop();
    server?.close();
    server?.closeAllConnections();
    await slackApi?.close();
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  it('answers signed requests at once while its start-up check fails, says so in the log, /healthz and the request list, and recovers when Slack answers', async () => {
    await waitFor('the failed start-up check', () => (slack.reachability().state === 'unreachable' ? true : undefined));
    expect(logged).toEqual([expect.stringMatching(/^Slack: unreachable since \S+ \(.+\); signed requests are still answered, replies to Slack fail until it answers; next try at /)]);
    const health = (await (await fetch(`${base}/healthz`)).json()) as { slack: string };
    expect(health.slack).toMatch(/^Slack: unreachable since /);
    expect(await (await fetch(`${base}/`)).text()).toContain('<p role="status"><strong>Slack: unreachable since ');

    // Answered inline, with no Web API call: only the signature and the policy matter.
    const started = Date.now();
    const stranger = await sender.interaction({ type: 'view_submission', user: { id: 'U0STRANGER' }, view: { id: 'V1', callback_id: 'dbdesign_kickoff', private_metadata: '{}', state: { values: {} } } });
    expect(stranger.status).toBe(200);
    expect(await stranger.json()).toEqual({ response_action: 'errors', errors: { title: 'You are not in the approval policy: ask an admin to add slack: U0STRANGER to your person.' } });
    expect((await sender.command({ user_id: 'U0ANN', text: 'list', trigger_id: 't1', response_url: `${slackApi.url}/response/offline` })).status).toBe(200);
    // Bolt's own check made these wait on auth.test (and answer 404 after 3 s): here they do not.
    expect(Date.now() - started).toBeLessThan(2_500);

    await slackApi.up();
    await waitFor('Slack reachable again', () => (slack.reachability().state === 'reachable' ? true : undefined));
    expect(logged[logged.length - 1]).toMatch(/^Slack: reachable since /);
    expect(((await (await fetch(`${base}/healthz`)).json()) as { slack: string }).slack).toBe('ok');
    expect(await (await fetch(`${base}/`)).text()).not.toContain('role="status"');
    expect((await sender.command({ user_id: 'U0ANN', text: 'list', trigger_id: 't2', response_url: `${slackApi.url}/response/online` })).status).toBe(200);
    const answer = await waitFor('the answer once Slack is back', () => slackApi.responses.find((r) => r.path === '/response/online')?.body);
    expect(answer).toMatchObject({ response_type: 'ephemeral', text: expect.any(String) });
  });
});
