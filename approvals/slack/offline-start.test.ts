import { waitFor } from '../../stack/wait';
import { startApprovalsServer, type ApprovalsServer } from '../../test/support/approvals-server';

describe('a Slack app started while Slack is unreachable', () => {
  let approvals: ApprovalsServer;
  const logged: string[] = [];
  const warn = console.warn;

  beforeAll(async () => {
    console.warn = (line: unknown) => void (String(line).startsWith('Slack:') && logged.push(String(line)));
    approvals = await startApprovalsServer({
      slackApiDown: true,
      reachabilityTimings: { firstRetryMs: 50, maxRetryMs: 200 },
    });
    await approvals.slack.start();
  });
  afterAll(async () => {
    console.warn = warn;
    await approvals?.close();
  });

  it('answers signed requests at once while its start-up check fails, says so in the log, /healthz and the request list, and recovers when Slack answers', async () => {
    const { slack, slackApi, sender, base } = approvals;
    await waitFor('the failed start-up check', () => (slack.reachability().state === 'unreachable' ? true : undefined));
    expect(logged).toEqual([
      expect.stringMatching(
        /^Slack: unreachable since \S+ \(.+\); signed requests are still answered, replies to Slack fail until it answers; next try at /,
      ),
    ]);
    const health = (await (await fetch(`${base}/healthz`)).json()) as { slack: string };
    expect(health.slack).toMatch(/^Slack: unreachable since /);
    expect(await (await fetch(`${base}/`)).text()).toContain('<p role="status"><strong>Slack: unreachable since ');

    // Answered inline, with no Web API call: only the signature and the policy matter.
    const started = Date.now();
    const stranger = await sender.interaction({
      type: 'view_submission',
      user: { id: 'U0STRANGER' },
      view: { id: 'V1', callback_id: 'dbdesign_kickoff', private_metadata: '{}', state: { values: {} } },
    });
    expect(stranger.status).toBe(200);
    expect(await stranger.json()).toEqual({
      response_action: 'errors',
      errors: { title: 'You are not in the approval policy: ask an admin to add slack: U0STRANGER to your person.' },
    });
    expect(
      (
        await sender.command({
          user_id: 'U0ANN',
          text: 'list',
          trigger_id: 't1',
          response_url: `${slackApi.url}/response/offline`,
        })
      ).status,
    ).toBe(200);
    // Bolt's own check made these wait on auth.test (and answer 404 after 3 s): here they do not.
    expect(Date.now() - started).toBeLessThan(2_500);

    await slackApi.up();
    await waitFor('Slack reachable again', () => (slack.reachability().state === 'reachable' ? true : undefined));
    expect(logged[logged.length - 1]).toMatch(/^Slack: reachable since /);
    expect(((await (await fetch(`${base}/healthz`)).json()) as { slack: string }).slack).toBe('ok');
    expect(await (await fetch(`${base}/`)).text()).not.toContain('role="status"');
    expect(
      (
        await sender.command({
          user_id: 'U0ANN',
          text: 'list',
          trigger_id: 't2',
          response_url: `${slackApi.url}/response/online`,
        })
      ).status,
    ).toBe(200);
    const answer = await waitFor(
      'the answer once Slack is back',
      () => slackApi.responses.find((r) => r.path === '/response/online')?.body,
    );
    expect(answer).toMatchObject({ response_type: 'ephemeral', text: expect.any(String) });
  });
});
