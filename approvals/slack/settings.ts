import type { Environment } from '../../config/environment';

/** Slack's credentials, apart from the app that uses them: the worker's notifier reads them without loading Bolt. */
export interface SlackSettings {
  botToken: string;
  signingSecret: string;
  /** Set: Socket Mode (no public URL needed). Unset: HTTP events on /slack/events of the approvals server. */
  appToken?: string;
}

/** Slack is on only with both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. */
export function slackSettings(env: Environment): SlackSettings | undefined {
  const { botToken, signingSecret, appToken } = env.approvals.slack;
  return botToken && signingSecret ? { botToken, signingSecret, appToken } : undefined;
}
