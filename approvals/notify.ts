import { WebClient } from '@slack/web-api';
import type { Environment } from '../config/environment';
import { createMailer } from './email/mailer';
import type { Transporter } from 'nodemailer';
import type { Pool } from 'pg';
import type { Notification, QuestionView, StatusNotification } from '../workflows/design-request-messages';
import type { RolloutNotification } from '../workflows/rollout-messages';
import { questionMail, resultMail, rolloutEndMail, rolloutQuestionMail, type MailContent } from './email/messages';
import { issueToken, tokenKeysFrom, type TokenKeys } from './email/tokens';
import { loadPolicy } from './policy';
import type { Policy } from './policy';
import { questionDetails } from './question-details';
import { slackSettings } from './slack/settings';
import { escapeSlack, questionMessage, rolloutRootMessage, rootMessage } from './slack/blocks';
import {
  questionMessageOf,
  rememberQuestionMessage,
  rememberThread,
  threadOf,
  type SlackMessageRef,
} from './slack/threads';

export interface NotifierDependencies {
  store: Pool;
  policy: Policy;
  mailer?: Transporter;
  mailFrom?: string;
  slack?: WebClient;
  /** Where root messages go for requests that did not start in Slack. */
  slackChannel?: string;
  webBaseUrl: string;
  tokenKeys: TokenKeys;
}

const ASKING = new Set<Notification['kind']>(['question', 'reminder', 'rerouted']);

/**
 * The workflow's `notify` activity: email and Slack, each on its own, so that one being down does not
 * silence the other (the activity is retried if either failed).
 */
export function createNotifier(deps: NotifierDependencies): (notification: StatusNotification) => Promise<void> {
  return (notification) =>
    bothChannels(
      `notifying ${notification.kind} on request ${notification.requestId}`,
      deps.mailer && sendMail(deps, deps.mailer, notification),
      deps.slack && postSlack(deps, deps.slack, notification),
    );
}

/** Email and Slack each on its own; the activity fails (and is retried) when either did. */
async function bothChannels(what: string, ...deliveries: (Promise<void> | undefined)[]): Promise<void> {
  const results = await Promise.allSettled(deliveries);
  const failures = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => (r.reason as Error).message);
  if (failures.length) throw new Error(`${what} failed: ${failures.join('; ')}`);
}

/**
 * The rollout's `tellRollout` activity: one Slack root message per rollout, posted at its first
 * telling and updated at every one after (each wave); each question in its thread, with a button
 * per option, and mailed to its approvers with their own signed links, its message updated once it
 * is settled; the end mailed to the requester.
 */
export function createRolloutTeller(deps: NotifierDependencies): (notification: RolloutNotification) => Promise<void> {
  return (notification) =>
    bothChannels(
      `telling ${notification.kind} on rollout ${notification.status.rolloutId}`,
      deps.mailer && mailRollout(deps, deps.mailer, notification),
      deps.slack && postRollout(deps, deps.slack, notification),
    );
}

/** One telling of a rollout, told apart from the others: a question by its id, a wave by where the rollout was. */
function rolloutKey({ kind, status, question }: RolloutNotification): string {
  const where = status.current ? `${status.current.environment}:${status.current.wave}` : '';
  return ['rollout', status.rolloutId, kind, question?.id ?? where, status.state].join('|');
}

async function mailRollout(deps: NotifierDependencies, mailer: Transporter, notification: RolloutNotification) {
  const { status, question } = notification;
  const recipients = notification.recipients.map((id) => deps.policy.person(id)).filter((p) => p?.email);
  const details = notification.kind === 'question' && question && (await questionDetails(deps.store, question));
  for (const person of recipients)
    await once(deps.store, `${rolloutKey(notification)}|mail|${person!.id}`, async () => {
      let content: MailContent | undefined;
      if (notification.kind === 'ended') content = rolloutEndMail(status, deps.webBaseUrl);
      else if (question && details) {
        const { token } = await issueToken(deps.store, deps.tokenKeys, {
          requestId: status.rolloutId,
          questionId: question.id,
          person: person!.id,
          expiresAt: Math.floor(Date.parse(question.expiresAt) / 1000),
          rollout: true,
        });
        content = rolloutQuestionMail(status, details, token, deps.webBaseUrl);
      }
      if (content) await send(deps, mailer, person!.email!, content, status.rolloutId, `rollout-${notification.kind}`);
    });
}

async function postRollout(deps: NotifierDependencies, slack: WebClient, notification: RolloutNotification) {
  const { status, question } = notification;
  const root = rolloutRootMessage(status, deps.webBaseUrl);
  let thread = await threadOf(deps.store, status.rolloutId);
  if (!thread) {
    if (!deps.slackChannel) return; // no channel to follow rollouts in
    const posted = await slack.chat.postMessage({ channel: deps.slackChannel, ...root });
    thread = await rememberThread(deps.store, status.rolloutId, { channel: posted.channel!, ts: posted.ts! });
  } else await slack.chat.update({ channel: thread.channel, ts: thread.ts, ...root });
  if (!question || (notification.kind !== 'question' && notification.kind !== 'decided')) return;
  const known = await questionMessageOf(deps.store, status.rolloutId, question.id);
  if (known && notification.kind === 'question') return;
  // The question's state decides the message: buttons while open, who chose what once settled.
  const message = questionMessage(
    { title: status.title, requestId: status.rolloutId, rollout: true },
    await questionDetails(deps.store, question),
    deps.webBaseUrl,
    mentions(deps, notification.recipients),
  );
  if (notification.kind === 'decided') {
    if (known) await slack.chat.update({ channel: known.channel, ts: known.ts, ...message });
    return;
  }
  const posted = await slack.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, ...message });
  await rememberQuestionMessage(deps.store, status.rolloutId, question.id, {
    channel: posted.channel!,
    ts: posted.ts!,
  });
}

function questionOf(notification: StatusNotification): QuestionView | undefined {
  return notification.status.questions.find((q) => q.id === notification.questionId);
}

/** One notification, told apart from every other the workflow sends (a reminder by its count, a decision by its votes). */
function notificationKey(notification: StatusNotification): string {
  const question = questionOf(notification);
  return [
    notification.requestId,
    notification.kind,
    // Where the request was when it told, not where it is now: a retry must find what it delivered.
    notification.phase ?? notification.status.phase,
    notification.state ?? notification.status.state,
    question?.id,
    notification.question?.remindersSent ?? question?.remindersSent,
    notification.question?.votes ?? question?.votes.length,
  ].join('|');
}

/**
 * The activity is retried when email or Slack failed: what was delivered before is not sent again.
 * Recorded after a delivery succeeds, so that a failed one is tried again.
 */
async function once(store: Pool, key: string, deliver: () => Promise<unknown>): Promise<void> {
  const { rowCount } = await store.query('SELECT 1 FROM notification_deliveries WHERE key = $1', [key]);
  if (rowCount) return;
  await deliver();
  await store.query('INSERT INTO notification_deliveries (key) VALUES ($1) ON CONFLICT (key) DO NOTHING', [key]);
}

async function sendMail(
  deps: NotifierDependencies,
  mailer: Transporter,
  notification: StatusNotification,
): Promise<void> {
  const question = questionOf(notification);
  const recipients = notification.recipients.map((id) => deps.policy.person(id)).filter((p) => p?.email);
  if (ASKING.has(notification.kind) && question) {
    const details = await questionDetails(deps.store, question);
    for (const person of recipients) {
      await once(deps.store, `${notificationKey(notification)}|mail|${person!.id}`, async () => {
        const { token } = await issueToken(deps.store, deps.tokenKeys, {
          requestId: notification.requestId,
          questionId: question.id,
          person: person!.id,
          expiresAt: Math.floor(Date.parse(question.expiresAt) / 1000),
        });
        await deliver(
          deps,
          mailer,
          notification,
          person!.email!,
          questionMail(notification, details, token, deps.webBaseUrl),
        );
      });
    }
    return;
  }
  const result = resultMail(notification, deps.webBaseUrl);
  if (!result) return;
  for (const person of recipients)
    await once(deps.store, `${notificationKey(notification)}|mail|${person!.id}`, () =>
      deliver(deps, mailer, notification, person!.email!, result),
    );
}

function deliver(
  deps: NotifierDependencies,
  mailer: Transporter,
  notification: StatusNotification,
  to: string,
  content: MailContent,
): Promise<void> {
  return send(deps, mailer, to, content, notification.requestId, notification.kind);
}

async function send(
  deps: NotifierDependencies,
  mailer: Transporter,
  to: string,
  content: MailContent,
  requestId: string,
  kind: string,
): Promise<void> {
  await mailer.sendMail({
    from: deps.mailFrom ?? 'schemawright <schemawright@localhost>',
    to,
    subject: content.subject,
    text: content.text,
    html: content.html,
    headers: { 'X-Schemawright-Request': requestId, 'X-Schemawright-Kind': kind },
  });
}

async function rootOf(
  deps: NotifierDependencies,
  slack: WebClient,
  notification: StatusNotification,
): Promise<SlackMessageRef | undefined> {
  const known = await threadOf(deps.store, notification.requestId);
  if (known || !deps.slackChannel) return known;
  const posted = await slack.chat.postMessage({
    channel: deps.slackChannel,
    ...rootMessage(notification.status, deps.webBaseUrl),
  });
  return rememberThread(deps.store, notification.requestId, { channel: posted.channel!, ts: posted.ts! });
}

function mentions(deps: NotifierDependencies, people: string[]): string[] {
  return people
    .map((id) => deps.policy.person(id))
    .map((p, i) => (p?.slack ? `<@${p.slack}>` : escapeSlack(people[i])));
}

async function postSlack(
  deps: NotifierDependencies,
  slack: WebClient,
  notification: StatusNotification,
): Promise<void> {
  const root = await rootOf(deps, slack, notification);
  if (!root) return; // a request with no thread and no default channel is not followed in Slack
  await slack.chat.update({ channel: root.channel, ts: root.ts, ...rootMessage(notification.status, deps.webBaseUrl) });
  const key = `${notificationKey(notification)}|slack`;
  const reply = (text: string) =>
    once(deps.store, key, () => slack.chat.postMessage({ channel: root.channel, thread_ts: root.ts, text }));
  const question = questionOf(notification);

  if (notification.kind === 'question' && question) {
    const details = await questionDetails(deps.store, question);
    const message = questionMessage(
      notification.status,
      details,
      deps.webBaseUrl,
      mentions(deps, notification.recipients),
    );
    const known = await questionMessageOf(deps.store, notification.requestId, question.id);
    if (known) {
      await slack.chat.update({ channel: known.channel, ts: known.ts, ...message });
      return;
    }
    const posted = await slack.chat.postMessage({ channel: root.channel, thread_ts: root.ts, ...message });
    await rememberQuestionMessage(deps.store, notification.requestId, question.id, {
      channel: posted.channel!,
      ts: posted.ts!,
    });
    return;
  }
  if ((notification.kind === 'reminder' || notification.kind === 'rerouted') && question) {
    const lead = notification.kind === 'reminder' ? 'Reminder' : 'Re-routed to backup approvers';
    await reply(
      `${lead}: ${mentions(deps, notification.recipients).join(' ')} the question “${escapeSlack(question.problem)}” waits for a decision (until ${question.expiresAt}).`,
    );
    return;
  }
  if (notification.kind === 'decided' && question) {
    const message = await questionMessageOf(deps.store, notification.requestId, question.id);
    if (message) {
      const details = await questionDetails(deps.store, question);
      await slack.chat.update({
        channel: message.channel,
        ts: message.ts,
        ...questionMessage(notification.status, details, deps.webBaseUrl),
      });
    }
  }
  await reply(escapeSlack(notification.summary));
}

/**
 * The notifier of a worker process, from the environment: the policy file, SMTP (or the local
 * capture), Slack when slackSettings has it on, and the token keys. Register `notify` as the activity.
 */
export function openNotifier(
  env: Environment,
  store: Pool,
): {
  notify: (notification: StatusNotification) => Promise<void>;
  tellRollout: (notification: RolloutNotification) => Promise<void>;
  close(): void;
} {
  const mailer = createMailer(env);
  // Slack is on only where the web server takes its clicks: buttons that go nowhere help no one.
  const botToken = slackSettings(env)?.botToken;
  // The activity retries with its own backoff; the client's default (10 retries over 30 minutes) would outlive it.
  const slack = botToken ? new WebClient(botToken, { retryConfig: { retries: 1 } }) : undefined;
  const deps: NotifierDependencies = {
    store,
    policy: loadPolicy(env.approvals.policyPath),
    mailer,
    mailFrom: env.approvals.mailFrom,
    slack,
    slackChannel: env.approvals.slack.channel,
    webBaseUrl: env.approvals.webBaseUrl,
    tokenKeys: tokenKeysFrom(env),
  };
  return { notify: createNotifier(deps), tellRollout: createRolloutTeller(deps), close: () => mailer.close() };
}
