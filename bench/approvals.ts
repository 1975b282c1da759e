/**
 * npm run bench:approvals — from a signed Slack confirm submission (HTTP POST to the real Bolt app)
 * and from an email link's form POST, to the decision visible in the workflow's status; beside a
 * direct decideRequest timed the same way, and the floor: the bare Update round trip to a workflow
 * that does nothing else, on the same server in the same run.
 * Prints p50/p95 over BENCH_N decisions each (default 200) and the ratios. Asserts nothing.
 */
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startSlackApiStandIn } from '../test/support/slack-api';
import { SlackSender } from '../test/support/slack-requests';
import { issueToken, parseTokenKeys } from '../approvals/email/tokens';
import { parsePolicy } from '../approvals/policy';
import { ephemeralDecisionSigner } from '../approvals/decision-keys';
import { decideRequest, requestStatus, startRequest, type RequestServices } from '../approvals/requests';
import { bareUpdateRoundTrips } from './support/floor';
import { createSlackApp } from '../approvals/slack/app';
import { createWebServer, listen } from '../approvals/web/server';
import { targetVariable } from '../config/targets';
import { waitFor } from '../stack/wait';
import { createStorePool, ensureDatabase, migrateStore } from '../store/database';
import { bundleWorkflows, createWorker } from '../workers/worker';
import { percentile, startBenchStack } from './support/stack';

const N = Number(process.env.BENCH_N ?? 200);
const SECRET = 'bench-signing-secret';
const KEYS = parseTokenKeys(`k:${'b'.repeat(40)}`);

async function main(): Promise<void> {
  // The worker logs every state change at INFO; the figures are what this prints.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const stack = await startBenchStack({ temporal: true });
  const people = Array.from({ length: 3 * N + 2 }, (_, i) => `p${String(i).padStart(4, '0')}`);
  // Every decision is a distinct approver's vote on one question that a quorum above N keeps open.
  const policy = parsePolicy(
    `people:\n  rita: { email: rita@bench.test }\n${people.map((p, i) => `  ${p}: { email: ${p}@bench.test, slack: U${String(i).padStart(6, '0')} }`).join('\n')}\n` +
      `targets: { "*": { "*": { approvers: [${people.join(', ')}], quorum: ${people.length} } } }\n`,
    'bench-policy.yaml',
  );
  const storeUrl = await ensureDatabase(stack.postgres.adminUrl, 'bench_store');
  const targetUrl = await ensureDatabase(stack.postgres.adminUrl, 'bench_target');
  const setup = new PgClient({ connectionString: targetUrl });
  await setup.connect();
  await setup.query('CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)');
  await setup.end();
  process.env[targetVariable('bench_target')] = targetUrl;
  const store = createStorePool(storeUrl, 'bench');
  await migrateStore(store);
  const connection = await Connection.connect({ address: stack.temporal!.address });
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal!.address });
  const taskQueue = 'bench-approvals';
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps: { store },
    workflowBundle: await bundleWorkflows(),
  });
  const running = worker.run();
  const slackApi = await startSlackApiStandIn();
  const services: RequestServices & { policy: typeof policy } = {
    temporal: new Client({ connection, namespace: 'default' }),
    store,
    taskQueue,
    gatePolicyFor: (t, e) => policy.gatePolicyFor(t, e),
    timings: { remindEverySeconds: 86400, rerouteAfterSeconds: 86400, expireAfterSeconds: 86400 },
    decisions: ephemeralDecisionSigner(),
    policy,
  };
  const slack = createSlackApp({
    services,
    webBaseUrl: 'http://bench.test',
    botToken: 'xoxb-bench',
    signingSecret: SECRET,
    slackApiUrl: `${slackApi.url}/api/`,
  });
  const server = createWebServer({ services, tokenKeys: KEYS, apiTokens: new Map(), slack: slack.requestListener });
  const base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  const sender = new SlackSender(`${base}/slack/events`, SECRET);

  try {
    const { requestId } = await startRequest(services, {
      kind: 'change',
      title: 'bench',
      target: 'bench_target',
      environment: 'production',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN note text;' },
    });
    const gate = await waitFor(
      'the request at its gate',
      async () => {
        const status = await requestStatus(services, requestId);
        if (status.phase === 'done') throw new Error(`the request ended (${status.outcome}) before its gate`);
        return status.state === 'awaiting-approval' ? status : undefined;
      },
      { timeoutMs: 120_000 },
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\nThe bench needs the request activities registered on the worker (workers/worker.ts).`,
      );
    });
    const question = gate.questions[0];
    const optionId = question.recommendation.optionId;
    const visible = (person: string) =>
      waitFor(
        `${person}'s vote`,
        async () =>
          (await requestStatus(services, requestId)).questions[0].votes.some((v) => v.person === person)
            ? true
            : undefined,
        { intervalMs: 2 },
      );

    const timed = async (run: () => Promise<void>): Promise<number> => {
      const started = process.hrtime.bigint();
      await run();
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const floor = await bareUpdateRoundTrips(services.temporal, nativeConnection, N);
    const direct: number[] = [];
    const slackClick: number[] = [];
    const webPost: number[] = [];
    for (let i = 0; i < N; i++) {
      const cliPerson = people[3 * i];
      let decided: Promise<unknown> = Promise.resolve();
      direct.push(
        await timed(async () => {
          decided = decideRequest(
            services,
            requestId,
            { questionId: question.id, optionId, person: cliPerson, channel: 'cli' },
            `bench-${cliPerson}`,
          );
          await visible(cliPerson);
        }),
      );
      // Its receipt waits for the decision's audit entry and notification; the vote counts before.
      await decided;

      const slackPerson = people[3 * i + 1];
      const slackUser = policy.person(slackPerson)!.slack!;
      const metadata = JSON.stringify({
        requestId,
        questionId: question.id,
        optionId,
        recommended: true,
        actionId: `slack-${slackUser}-${i}`,
        channel: 'C1',
      });
      slackClick.push(
        await timed(async () => {
          const response = await sender.interaction({
            type: 'view_submission',
            user: { id: slackUser },
            view: {
              id: `V${i}`,
              callback_id: 'dbdesign_confirm',
              private_metadata: metadata,
              state: { values: { comment: { value: { type: 'plain_text_input', value: null } } } },
            },
          });
          if (response.status !== 200) throw new Error(`Slack submission answered ${response.status}`);
          await visible(slackPerson);
        }),
      );

      const webPerson = people[3 * i + 2];
      const { token } = await issueToken(store, KEYS, {
        requestId,
        questionId: question.id,
        person: webPerson,
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      });
      const page = await fetch(`${base}/decide?token=${encodeURIComponent(token)}&option=${optionId}`);
      const cookie = page.headers.get('set-cookie')!.split(';')[0];
      const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1];
      webPost.push(
        await timed(async () => {
          const response = await fetch(`${base}/decide`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
            body: new URLSearchParams({ token, csrf, option: optionId }).toString(),
          });
          if (response.status !== 200)
            throw new Error(`decision POST answered ${response.status}: ${await response.text()}`);
          await visible(webPerson);
        }),
      );
    }
    const line = (label: string, values: number[]) =>
      `${label.padEnd(48)} p50 ${percentile(values, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(values, 95).toFixed(1).padStart(7)} ms   (×${(percentile(values, 50) / percentile(floor, 50)).toFixed(2)} of the floor at p50)`;
    console.log(`bench:approvals, ${N} decisions per path, one question kept open by its quorum`);
    console.log(line('floor: bare Update round trip (workflow only waits)', floor));
    console.log(line('decideRequest (Update) → in status', direct));
    console.log(line('Slack: signed confirm submission → in status', slackClick));
    console.log(line('email: decision form POST → in status', webPost));
  } finally {
    server.close();
    server.closeAllConnections();
    await slackApi.close();
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
    await store.end();
    await stack.stop();
  }
}

main().catch((error: Error) => {
  console.error(`bench:approvals failed: ${error.message}`);
  process.exit(1);
});
