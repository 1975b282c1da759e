import { LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';

/** What the web server says about Slack: on its /healthz and its request list. */
export type SlackReachability =
  | { state: 'checking'; since: Date }
  | { state: 'reachable'; since: Date; botUserId?: string; botId?: string }
  | { state: 'unreachable'; since: Date; error: string; nextTryAt: Date }
  | { state: 'token refused'; since: Date; error: string };

export interface ReachabilityTimings {
  /** The first retry after a failure; each next one waits twice as long, up to `maxRetryMs`. */
  firstRetryMs: number;
  maxRetryMs: number;
  /** Once reachable, how often to ask again, so that an outage later is seen too. */
  recheckMs: number;
}

const DEFAULT_TIMINGS: ReachabilityTimings = { firstRetryMs: 1_000, maxRetryMs: 60_000, recheckMs: 300_000 };

/** Slack's answers that no retry changes: the bot token itself is wrong. */
const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);

/**
 * Slack's start-up check (auth.test), run in the background and retried until Slack answers.
 * Bolt runs it once, in its constructor, and every request waits on it: started offline, it answered
 * 404 while its client retried for half an hour, then 401 to every signed request until restarted.
 * Here signed requests never wait on it; the check only tells the operator (a log line per change)
 * and fills in the bot's ids once known.
 */
export class SlackReachabilityCheck {
  private current: SlackReachability = { state: 'checking', since: new Date() };
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private readonly client: WebClient;
  private readonly timings: ReachabilityTimings;

  constructor(
    botToken: string,
    clientOptions: WebClientOptions = {},
    timings: Partial<ReachabilityTimings> = {},
    private readonly log: (line: string) => void = (line) => console.warn(line),
  ) {
    // One try per round: the retries are this class's, with a state to show between them.
    // Its own warning per failed try would repeat what this class logs once per change.
    this.client = new WebClient(botToken, { ...clientOptions, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
  }

  status(): SlackReachability {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.check(this.timings.firstRetryMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async check(retryMs: number): Promise<void> {
    let next: SlackReachability;
    try {
      const answer = await this.client.auth.test();
      next = { state: 'reachable', since: new Date(), botUserId: answer.user_id, botId: answer.bot_id };
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      next =
        code && TOKEN_ERRORS.has(code)
          ? { state: 'token refused', since: new Date(), error: code }
          : {
              state: 'unreachable',
              since: new Date(),
              error: networkReason(error),
              nextTryAt: new Date(Date.now() + retryMs),
            };
    }
    if (this.stopped) return;
    this.record(next);
    if (next.state === 'token refused') return;
    const [wait, following] =
      next.state === 'reachable'
        ? [this.timings.recheckMs, this.timings.firstRetryMs]
        : [retryMs, Math.min(retryMs * 2, this.timings.maxRetryMs)];
    this.timer = setTimeout(() => void this.check(following), wait);
    this.timer.unref();
  }

  private record(next: SlackReachability): void {
    const changed = next.state !== this.current.state;
    this.current = changed || next.state !== 'unreachable' ? next : { ...next, since: this.current.since };
    if (!changed) return;
    this.log(describeReachability(next));
  }
}

/** The network's own words (`connect ECONNREFUSED ...`), not the client's wrapper around them (`fetch failed`). */
function networkReason(error: unknown): string {
  // Duck-typed: the network's errors may come from another realm than this module's Error.
  let cause = ((error as { original?: unknown }).original ?? error) as { message: string; cause?: unknown };
  while (typeof (cause.cause as { message?: unknown } | undefined)?.message === 'string')
    cause = cause.cause as typeof cause;
  return cause.message;
}

/** One line for the log, the health endpoint and the request list. */
export function describeReachability(status: SlackReachability): string {
  switch (status.state) {
    case 'checking':
      return 'Slack: checking the connection (auth.test)';
    case 'reachable':
      return `Slack: reachable since ${status.since.toISOString()}`;
    case 'unreachable':
      return `Slack: unreachable since ${status.since.toISOString()} (${status.error}); signed requests are still answered, replies to Slack fail until it answers; next try at ${status.nextTryAt.toISOString()}`;
    case 'token refused':
      return `Slack: the bot token was refused (${status.error}): set SLACK_BOT_TOKEN to the app's bot token (xoxb-...) and restart`;
  }
}
