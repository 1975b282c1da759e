import type { Pool } from 'pg';

/** Where a request lives in Slack: its root message (updated phase by phase) and its thread. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/** Keeps the first root message of a request; a second poster (a retry, a race) gets the first one back. */
export async function rememberThread(store: Pool, requestId: string, ref: SlackMessageRef): Promise<SlackMessageRef> {
  await store.query(
    'INSERT INTO slack_threads (request_id, channel, ts) VALUES ($1, $2, $3) ON CONFLICT (request_id) DO NOTHING',
    [requestId, ref.channel, ref.ts],
  );
  return (await threadOf(store, requestId))!;
}

export async function threadOf(store: Pool, requestId: string): Promise<SlackMessageRef | undefined> {
  const { rows } = await store.query<SlackMessageRef>('SELECT channel, ts FROM slack_threads WHERE request_id = $1', [
    requestId,
  ]);
  return rows[0];
}

export async function rememberQuestionMessage(
  store: Pool,
  requestId: string,
  questionId: string,
  ref: SlackMessageRef,
): Promise<void> {
  await store.query(
    `INSERT INTO slack_question_messages (request_id, question_id, channel, ts) VALUES ($1, $2, $3, $4)
     ON CONFLICT (request_id, question_id) DO UPDATE SET channel = EXCLUDED.channel, ts = EXCLUDED.ts`,
    [requestId, questionId, ref.channel, ref.ts],
  );
}

export async function questionMessageOf(
  store: Pool,
  requestId: string,
  questionId: string,
): Promise<SlackMessageRef | undefined> {
  const { rows } = await store.query<SlackMessageRef>(
    'SELECT channel, ts FROM slack_question_messages WHERE request_id = $1 AND question_id = $2',
    [requestId, questionId],
  );
  return rows[0];
}
