import { App, HTTPModuleFunctions, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Environment } from '../../config/environment';
import { auditRefusal } from '../requests';
import { registerCommands } from './commands';
import type { SlackContext } from './context';
import { registerDecisionButtons } from './decision-buttons';
import { registerHome } from './home';
import { registerKickoff } from './kickoff';

export interface SlackAppOptions extends SlackContext {
  botToken: string;
  signingSecret: string;
  /** Set: Socket Mode (no public URL needed). Unset: HTTP events on /slack/events of the approvals server. */
  appToken?: string;
  /** Tests point the Web API client at a local stand-in. */
  slackApiUrl?: string;
}

export interface SlackApp {
  app: App;
  /** For the approvals web server's /slack/* routes (HTTP mode only). */
  requestListener?: (req: IncomingMessage, res: ServerResponse) => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** How many recent event ids are remembered to answer Slack's retries once. */
const SEEN_EVENTS = 1000;

/** Slack is on only with both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. */
export function slackSettings(env: Environment): Pick<SlackAppOptions, 'botToken' | 'signingSecret' | 'appToken'> | undefined {
  const { botToken, signingSecret, appToken } = env.approvals.slack;
  return botToken && signingSecret ? { botToken, signingSecret, appToken } : undefined;
}

export function createSlackApp(options: SlackAppOptions): SlackApp {
  const context: SlackContext = { services: options.services, webBaseUrl: options.webBaseUrl };
  const clientOptions = options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : undefined;
  const receiver = options.appToken ? undefined : new HTTPReceiver({ signingSecret: options.signingSecret, endpoints: ['/slack/events'], logLevel: LogLevel.ERROR });
  const app = receiver
    ? new App({ token: options.botToken, receiver, clientOptions, logLevel: LogLevel.ERROR })
    : new App({ token: options.botToken, appToken: options.appToken, socketMode: true, clientOptions, logLevel: LogLevel.ERROR });

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
  registerHome(app, context);

  return {
    app,
    requestListener: receiver ? auditingUnsigned(receiver.requestListener, options) : undefined,
    start: async () => {
      if (!receiver) await app.start();
    },
    stop: async () => {
      if (!receiver) await app.stop();
    },
  };
}

/**
 * Bolt answers a request with a bad or stale signature 401 and only logs it; it is a refused
 * attempt, so it is audited first. The body stays buffered on the request, and Bolt checks it again.
 */
function auditingUnsigned(listener: (req: IncomingMessage, res: ServerResponse) => void, options: SlackAppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    HTTPModuleFunctions.parseAndVerifyHTTPRequest({ signingSecret: options.signingSecret }, req)
      .then(
        () => undefined,
        (error: Error) => (HTTPModuleFunctions.isRawBodyError(error) ? undefined : auditRefusal(options.services, { action: 'slack request', actor: 'unknown', channel: 'slack', reason: error.message })),
      )
      .then(() => listener(req, res), () => HTTPModuleFunctions.buildNoBodyResponse(res, 500));
  };
}
