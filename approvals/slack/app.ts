import { App, HTTPModuleFunctions, HTTPReceiver, LogLevel, type AuthorizeResult } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { auditRefusal } from '../requests';
import { registerCommands } from './commands';
import type { SlackContext } from './context';
import { registerDecisionButtons } from './decision-buttons';
import { registerHome } from './home';
import { registerKickoff } from './kickoff';
import { registerRolloutControls } from './rollout-controls';
import { SlackReachabilityCheck, type ReachabilityTimings, type SlackReachability } from './reachability';
import type { SlackSettings } from './settings';

export interface SlackAppOptions extends SlackContext, SlackSettings {
  /** Tests point the Web API client at a local stand-in. */
  slackApiUrl?: string;
  /** Tests retry the start-up check sooner. */
  reachabilityTimings?: Partial<ReachabilityTimings>;
}

export interface SlackApp {
  app: App;
  /** For the approvals web server's /slack/* routes (HTTP mode only). */
  requestListener?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Whether Slack answered its start-up check, for the web server's health and pages. */
  reachability(): SlackReachability;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How many recent event ids are remembered to answer Slack's retries once. */
const SEEN_EVENTS = 1000;

export function createSlackApp(options: SlackAppOptions): SlackApp {
  const context: SlackContext = { services: options.services, webBaseUrl: options.webBaseUrl };
  const clientOptions = options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : undefined;
  const check = new SlackReachabilityCheck(options.botToken, clientOptions, options.reachabilityTimings);
  // Our own authorize, not `token`: Bolt's makes every request wait on auth.test, and fail for good when it did.
  const authorize = async (): Promise<AuthorizeResult> => {
    const status = check.status();
    return {
      botToken: options.botToken,
      ...(status.state === 'reachable' ? { botId: status.botId, botUserId: status.botUserId } : {}),
    };
  };
  const receiver = options.appToken
    ? undefined
    : new HTTPReceiver({
        signingSecret: options.signingSecret,
        endpoints: ['/slack/events'],
        logLevel: LogLevel.ERROR,
      });
  const app = receiver
    ? new App({ authorize, receiver, clientOptions, logLevel: LogLevel.ERROR })
    : new App({ authorize, appToken: options.appToken, socketMode: true, clientOptions, logLevel: LogLevel.ERROR });

  // Slack re-sends an event it thinks was missed (X-Slack-Retry-Num): answer the repeat once, do nothing.
  const seen = new Set<string>();
  app.use(async ({ body, context: boltContext, next, ack }) => {
    const eventId = (body as { event_id?: string }).event_id;
    if (eventId && seen.has(eventId) && boltContext.retryNum) {
      await ack?.();
      return;
    }
    if (eventId) {
      seen.add(eventId);
      if (seen.size > SEEN_EVENTS) seen.delete(seen.values().next().value!);
    }
    await next();
  });

  registerCommands(app, context);
  registerKickoff(app, context);
  registerDecisionButtons(app, context);
  registerRolloutControls(app, context);
  registerHome(app, context);

  return {
    app,
    requestListener: receiver ? auditingUnsigned(receiver.requestListener, options) : undefined,
    reachability: () => check.status(),
    start: async () => {
      check.start();
      if (!receiver) await app.start();
    },
    stop: async () => {
      check.stop();
      if (!receiver) await app.stop();
    },
  };
}

/** Slack's window for a request's timestamp, either side of our clock. */
const TIMESTAMP_WINDOW_SECONDS = 5 * 60;

/** Bolt refuses a stale timestamp but not one from the future, which a captured request signed ahead of time would carry. */
function notFromTheFuture(req: IncomingMessage): void {
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  if (timestamp > Date.now() / 1000 + TIMESTAMP_WINDOW_SECONDS) {
    throw new Error(
      'Failed to verify authenticity: x-slack-request-timestamp is more than 5 minutes in the future (check the clock of this server)',
    );
  }
}

/**
 * Bolt answers a request with a bad or stale signature 401 and only logs it; it is a refused
 * attempt, so it is checked here first (the future side of the window too), audited and answered
 * 401. The web server has read the body within its limit (rawBody), so nothing here reads more.
 */
function auditingUnsigned(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  options: SlackAppOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    HTTPModuleFunctions.parseAndVerifyHTTPRequest({ signingSecret: options.signingSecret }, req)
      .then(() => notFromTheFuture(req))
      .then(
        () => listener(req, res),
        (error: Error) =>
          auditRefusal(options.services, {
            action: 'slack request',
            actor: 'unknown',
            channel: 'slack',
            reason: error.message,
          }).then(
            () => HTTPModuleFunctions.buildNoBodyResponse(res, 401),
            () => HTTPModuleFunctions.buildNoBodyResponse(res, 500),
          ),
      );
  };
}
