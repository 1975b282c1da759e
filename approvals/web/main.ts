import { ConfigError, readClientEnvironment } from '../../config/environment';
import { checkSplitHosts } from '../../config/split-hosts';
import { logHttpRequests } from '../../operations/http-log';
import { processLog } from '../../operations/log';
import { collectProcessMetrics, countRequestsByState, observeAudit } from '../../operations/metrics';
import { onAppended } from '../../store/audit';
import { requireFreePort } from '../../stack/ports';
import { auditCheckpointer, checkpointEveryMinute } from '../../store/audit-anchor';
import { auditKeyFrom } from '../../store/audit-key';
import { warnOfAuditRewriteRights } from '../../store/least-privilege';
import { startMailCapture, type MailCapture } from '../email/capture';
import { tokenKeysFrom } from '../email/tokens';
import { quoteVisibility } from '../requests';
import { openRequestServices } from '../services';
import { createSlackApp } from '../slack/app';
import { slackSettings } from '../slack/settings';
import { parseApiTokens } from './http';
import { createWebServer, listen } from './server';

/**
 * The approvals web server as a process of its own: pages, the decision page of email links, the
 * JSON API, and in the embedded default (no SMTP_URL) the local mail capture behind /inbox.
 */
export async function runWebServer(env = readClientEnvironment()): Promise<void> {
  const log = processLog('web');
  const split = checkSplitHosts(env, 'web server');
  if (split.refuse) throw new ConfigError(split.refuse);
  if (split.warn) log.warn(split.warn);
  await requireFreePort(
    env.web.port,
    'the approvals web server',
    'Stop whatever holds it, or choose another with SCHEMAWRIGHT_WEB_PORT.',
  );
  const services = await openRequestServices(env, 'channels');
  await warnOfAuditRewriteRights(services.store);
  // Refusals the web server audits are checkpointed within the minute.
  const auditKey = auditKeyFrom(env);
  const checkpoints = checkpointEveryMinute(
    auditCheckpointer({
      store: services.store,
      key: auditKey,
      temporal: { client: services.temporal, taskQueue: env.temporal.taskQueue },
    }),
  );
  let capture: MailCapture | undefined;
  if (!env.approvals.smtpUrl) {
    await requireFreePort(
      env.approvals.mailCapturePort,
      'the local mail capture',
      'Stop whatever holds it, choose another with SCHEMAWRIGHT_MAIL_CAPTURE_PORT, or set SMTP_URL.',
    );
    capture = await startMailCapture(services.store, env.approvals.mailCapturePort);
  }
  collectProcessMetrics();
  onAppended(observeAudit);
  countRequestsByState(async (state) => {
    const query = `WorkflowType = 'designRequest' AND TaskQueue = '${quoteVisibility(env.temporal.taskQueue)}' AND SchemawrightStatus = '${state}'`;
    return (await services.temporal.workflow.count(query)).count;
  });
  const slackOn = slackSettings(env);
  const slack = slackOn ? createSlackApp({ services, webBaseUrl: env.approvals.webBaseUrl, ...slackOn }) : undefined;
  const server = createWebServer({
    services,
    tokenKeys: tokenKeysFrom(env),
    apiTokens: parseApiTokens(env.approvals.apiTokens),
    temporalUiUrl: env.temporal.uiUrl,
    inbox: Boolean(capture),
    slack: slack?.requestListener,
    slackReachability: slack?.reachability,
    auditKey,
  });
  logHttpRequests(server, log);
  const port = await listen(server, env.web.port, env.web.host);
  await slack?.start();
  const slackMode = !slack
    ? 'Slack is off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)'
    : slack.requestListener
      ? 'Slack events at /slack/events'
      : 'Slack in Socket Mode';
  log.info(
    `web server listening on http://${env.web.host}:${port}; ${slackMode}${capture ? `; mail is caught on port ${capture.port} and shown at /inbox` : ''}`,
    { metrics: `http://${env.web.host}:${port}/metrics`, health: `http://${env.web.host}:${port}/healthz` },
  );
  const stop = () => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise((r) => server.once('close', r));
  await slack?.stop();
  await capture?.close();
  await checkpoints.stop();
  await services.close();
}
