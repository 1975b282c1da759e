import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { parseTokenKeys } from '../../approvals/email/tokens';
import { loadPolicy } from '../../approvals/policy';
import { createSlackApp, type SlackApp, type SlackAppOptions } from '../../approvals/slack/app';
import { parseApiTokens } from '../../approvals/web/http';
import { createWebServer, listen } from '../../approvals/web/server';
import { requestHarness, type RequestHarness } from './requests';
import { startSlackApiStandIn, type SlackApiStandIn } from './slack-api';
import { SlackSender } from './slack-requests';
import { connectTemporal, createTestStore, type TemporalConnections } from './stack';

export const SLACK_SIGNING_SECRET = 'slack-signing-secret-for-tests';
/** The secret of the server's email-link keys: tests sign links with it, and look for it where it must not be. */
export const TOKEN_KEY_SECRET = 'x'.repeat(32);

export interface ApprovalsServer {
  temporal: TemporalConnections;
  store: { pool: Pool; close(): Promise<void> };
  harness: RequestHarness;
  slackApi: SlackApiStandIn;
  slack: SlackApp;
  base: string;
  /** Signed requests to /slack/events. */
  sender: SlackSender;
  close(): Promise<void>;
}

/**
 * The approvals web server as `schemawright web` runs it: the example policy, a real Bolt app behind
 * /slack/events and a Slack Web API stand-in, over a request harness (worker, store, target).
 */
export async function startApprovalsServer(
  options: {
    apiTokens?: string;
    slackApiDown?: boolean;
    reachabilityTimings?: SlackAppOptions['reachabilityTimings'];
  } = {},
): Promise<ApprovalsServer> {
  const temporal = await connectTemporal();
  const store = await createTestStore();
  const harness = await requestHarness(temporal, store.pool);
  const slackApi = await startSlackApiStandIn();
  if (options.slackApiDown) await slackApi.down();
  const policy = loadPolicy();
  const services = { ...harness.services, policy, policyTargets: policy.targets };
  const slack = createSlackApp({
    services,
    webBaseUrl: 'http://approvals.test',
    botToken: 'xoxb-test',
    signingSecret: SLACK_SIGNING_SECRET,
    slackApiUrl: `${slackApi.url}/api/`,
    reachabilityTimings: options.reachabilityTimings,
  });
  const server: Server = createWebServer({
    services,
    tokenKeys: parseTokenKeys(`k:${TOKEN_KEY_SECRET}`),
    apiTokens: parseApiTokens(options.apiTokens),
    slack: slack.requestListener,
    slackReachability: slack.reachability,
  });
  const base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  return {
    temporal,
    store,
    harness,
    slackApi,
    slack,
    base,
    sender: new SlackSender(`${base}/slack/events`, SLACK_SIGNING_SECRET),
    async close() {
      await slack.stop();
      server.close();
      server.closeAllConnections();
      await slackApi.close();
      await harness.close();
      await store.close();
      await temporal.close();
    },
  };
}
