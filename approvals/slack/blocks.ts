import type { KnownBlock } from '@slack/web-api';
import { PHASES, type QuestionView, type RequestStatusView } from '../../workflows/design-request-messages';
import type { ControlAction, RolloutNotification } from '../../workflows/rollout-messages';
import { requestUrl, rolloutUrl } from '../email/messages';
import { blockingText, optionTitle, type QuestionDetails } from '../question-details';

/** Slack mrkdwn treats &, < and > as control characters: user text must not open links or mentions. */
export function escapeSlack(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Button values carry where a click goes; the workflow's validator decides whether it may. */
export interface DecisionButtonValue {
  requestId: string;
  questionId: string;
  optionId: string;
  /** Going against it (or rejecting) needs a comment: the confirm modal asks for one. */
  recommended: boolean;
  /** A rollout's question (requestId is the rollout's id): the click decides through the rollout. */
  rollout?: true;
}

export const DECIDE_ACTION_PREFIX = 'decide:';

export function rootMessage(status: RequestStatusView, webBaseUrl: string): { text: string; blocks: KnownBlock[] } {
  const at = PHASES.indexOf(status.phase);
  const progress = PHASES.slice(1, -1)
    .map((phase) => (PHASES.indexOf(phase) < at ? `~${phase}~` : PHASES.indexOf(phase) === at ? `*${phase}*` : phase))
    .join(' › ');
  // The top-level text is mrkdwn too (notifications, screen readers): escaped like the blocks.
  const text = `${escapeSlack(status.title)}: ${status.state} (${status.phase})`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*${escapeSlack(status.title)}*\n${escapeSlack(status.kind)} on \`${escapeSlack(status.target)}/${escapeSlack(status.environment)}\`, requested by ${escapeSlack(status.requester)} · <${requestUrl(webBaseUrl, status.requestId)}|request ${escapeSlack(status.requestId)}>`,
        },
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `${stateEmoji(status.state)} *${escapeSlack(status.state)}* · ${progress}` },
        ],
      },
      ...(status.outcome
        ? [{ type: 'section', text: { type: 'mrkdwn', text: escapeSlack(status.outcome) } } satisfies KnownBlock]
        : []),
    ],
  };
}

/**
 * A rollout's root message, updated per wave: its state, where it is, and each stage's targets by
 * state; the controls a person may use on it while it runs.
 */
export function rolloutRootMessage(
  status: RolloutNotification['status'],
  webBaseUrl: string,
): { text: string; blocks: KnownBlock[] } {
  const where = status.current
    ? ` · ${status.current.environment} wave ${status.current.wave}/${status.current.waves}`
    : '';
  const text = `${escapeSlack(status.title)}: rollout ${status.state}${where}`;
  const running = !['completed', 'failed', 'aborted', 'rejected', 'expired'].includes(status.state);
  const control = (action: ControlAction, title: string, style?: 'danger') => ({
    type: 'button' as const,
    action_id: `${CONTROL_ACTION_PREFIX}${action}`,
    text: { type: 'plain_text' as const, text: title },
    value: JSON.stringify({ rolloutId: status.rolloutId, action } satisfies ControlButtonValue),
    ...(style ? { style } : {}),
  });
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*${escapeSlack(status.title)}*\nrollout over \`${escapeSlack(status.group)}\`, requested by ${escapeSlack(status.requester)} · <${rolloutUrl(webBaseUrl, status.rolloutId)}|rollout ${escapeSlack(status.rolloutId)}>`,
        },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `*${escapeSlack(status.state)}*${status.paused ? ' (paused)' : ''}${escapeSlack(where)}`,
          },
        ],
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: status.stages
            .map(
              (s) =>
                `*${escapeSlack(s.environment)}*: ${s.applied} applied · ${s.failed} failed · ${s.skipped} skipped · ${s.pending} pending`,
            )
            .join('\n'),
        },
      },
      ...(status.outcome
        ? [{ type: 'section', text: { type: 'mrkdwn', text: escapeSlack(status.outcome) } } satisfies KnownBlock]
        : []),
      ...(running
        ? [
            {
              type: 'actions',
              block_id: `rollout:${status.rolloutId}`.slice(0, 255),
              elements: [
                status.paused ? control('resume', 'Resume') : control('pause', 'Pause'),
                control('abort', 'Abort the rest', 'danger'),
              ],
            } satisfies KnownBlock,
          ]
        : []),
    ],
  };
}

/** What a control button carries: the person is whoever clicks, known from Slack's signed request. */
export interface ControlButtonValue {
  rolloutId: string;
  action: ControlAction;
}

export const CONTROL_ACTION_PREFIX = 'rollout-control:';

function stateEmoji(state: RequestStatusView['state']): string {
  return {
    running: ':hourglass_flowing_sand:',
    'awaiting-approval': ':raising_hand:',
    applying: ':gear:',
    completed: ':white_check_mark:',
    rejected: ':no_entry:',
    expired: ':alarm_clock:',
    cancelled: ':x:',
    failed: ':warning:',
  }[state];
}

/** An escalation: the problem, each option with its impact, the recommendation, a button per option, a link to the report. */
export function questionMessage(
  status: Pick<RequestStatusView, 'title' | 'requestId'> & { rollout?: true },
  details: QuestionDetails,
  webBaseUrl: string,
  mention: string[] = [],
): { text: string; blocks: KnownBlock[] } {
  const { question } = details;
  const open = question.state === 'open';
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Decision needed: ${status.title}`.slice(0, 150) } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Problem* (${escapeSlack(question.trigger)}): ${escapeSlack(question.problem)}${mention.length ? `\n${mention.join(' ')}` : ''}`,
      },
    },
    ...details.options.map(
      (o): KnownBlock => ({
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            `*${escapeSlack(o.title)}*${o.recommended ? ' _(recommended)_' : ''} · risk ${escapeSlack(o.risk)} · ${blockingText(o.blockingSeconds)}`,
            ...(o.summary ? [escapeSlack(o.summary)] : []),
            ...(o.impact
              ? [
                  `Performance: ${escapeSlack(o.impact.performance)}`,
                  `Consistency: ${escapeSlack(o.impact.consistency)}`,
                  `Scalability: ${escapeSlack(o.impact.scalability)}`,
                ]
              : []),
          ]
            .join('\n')
            .slice(0, 3000),
        },
      }),
    ),
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Recommendation*: ${escapeSlack(details.options.find((o) => o.recommended)?.title ?? question.recommendation.optionId)}, because ${escapeSlack(question.recommendation.reason)}`,
      },
    },
  ];
  if (open) {
    blocks.push({
      type: 'actions',
      block_id: `question:${question.id}`.slice(0, 255),
      elements: [
        ...question.options.map((o) => ({
          type: 'button' as const,
          action_id: `${DECIDE_ACTION_PREFIX}${o.id}`.slice(0, 255),
          text: { type: 'plain_text' as const, text: (o.id === 'reject' ? 'Reject' : o.title).slice(0, 75) },
          value: JSON.stringify({
            requestId: status.requestId,
            questionId: question.id,
            optionId: o.id,
            recommended: o.id === question.recommendation.optionId,
            ...(status.rollout ? { rollout: true as const } : {}),
          } satisfies DecisionButtonValue),
          ...(o.id === 'reject'
            ? { style: 'danger' as const }
            : o.id === question.recommendation.optionId
              ? { style: 'primary' as const }
              : {}),
        })),
        {
          type: 'button' as const,
          action_id: 'open-report',
          text: { type: 'plain_text' as const, text: 'Full report' },
          url: status.rollout ? rolloutUrl(webBaseUrl, status.requestId) : requestUrl(webBaseUrl, status.requestId),
        },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: votesText(question) }] });
  return {
    text: `Decision needed: ${escapeSlack(status.title)}: ${escapeSlack(question.problem)}`.slice(0, 3000),
    blocks,
  };
}

/** Who chose what, shown under the question once people start to decide. */
export function votesText(question: QuestionView): string {
  const votes = question.votes.map(
    (v) =>
      `${escapeSlack(v.person)} chose *${escapeSlack(optionTitle(question, v.optionId))}* via ${v.channel}${v.comment ? `: “${escapeSlack(v.comment)}”` : ''}`,
  );
  const state =
    question.state === 'open'
      ? `open until ${question.expiresAt}, ${question.votes.length}/${question.quorum} approval(s)`
      : `${question.state}${question.chosenOptionId ? `: ${escapeSlack(optionTitle(question, question.chosenOptionId))}` : ''}`;
  return [state, ...votes].join('\n');
}
