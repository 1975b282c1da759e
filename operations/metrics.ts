import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { AuditEntryInput } from '../store/audit';
import type { RequestState, StatusNotification } from '../workflows/design-request-messages';

/**
 * schemawright's own Prometheus metrics, one registry per process (worker or web server). Label values
 * come from short fixed lists, never from what a request or a caller sent: nothing secret or personal is
 * a label, and no caller can grow the series without bound.
 */
export const registry = new Registry();

let processMetrics = false;
/** Node's own (memory, event loop lag, handles): for the processes that serve /metrics, not every CLI run. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry, prefix: 'schemawright_' });
}

const REQUEST_STATES: RequestState[] = [
  'running',
  'awaiting-approval',
  'applying',
  'completed',
  'rejected',
  'expired',
  'cancelled',
  'failed',
];
const CHANNELS = ['web', 'email', 'slack', 'api', 'cli', 'workflow'];
const OTHER = 'other';
const known = (value: unknown, values: readonly string[]) =>
  typeof value === 'string' && values.includes(value) ? value : OTHER;

const refusals = new Counter({
  name: 'schemawright_refusals_total',
  help: 'Attempts refused (decisions, cancels, kickoffs by someone not allowed, replays, bad tokens), by channel and action.',
  labelNames: ['channel', 'action'],
  registers: [registry],
});
/** Actions are named in code ('decide', 'cancel', 'slack request'...): anything else is not a label. */
const action = (value: unknown) => (typeof value === 'string' && /^[a-z][a-z -]{0,30}$/.test(value) ? value : OTHER);

const gateWait = new Histogram({
  name: 'schemawright_gate_wait_seconds',
  help: 'How long a question waited from being raised to being decided, rejected or expired.',
  labelNames: ['outcome'],
  buckets: [60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600, 7 * 24 * 3600],
  registers: [registry],
});

const activityDuration = new Histogram({
  name: 'schemawright_activity_duration_seconds',
  help: 'Time of each activity attempt by activity and outcome; activity="applyReviewed" is the apply of a request (applyChange in requests started before it).',
  labelNames: ['activity', 'outcome'],
  buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600],
  registers: [registry],
});

const stepDuration = new Histogram({
  name: 'schemawright_apply_step_duration_seconds',
  help: 'Time of each migration step the runner applied on a target, by outcome (applied, failed).',
  labelNames: ['outcome'],
  buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3600],
  registers: [registry],
});

/** Counts what the audit log records as refused (registered with store/audit.ts onAppended). */
export function observeAudit(entry: AuditEntryInput): void {
  if (entry.kind !== 'refused') return;
  const count = typeof entry.data.count === 'number' ? entry.data.count : 1;
  refusals.inc({ channel: known(entry.channel, CHANNELS), action: action(entry.data.action) }, count);
}

/** A decided or expired question's wait, from the status a notification carries. */
export function observeNotification(notification: StatusNotification, now = Date.now()): void {
  if (notification.kind !== 'decided' && notification.kind !== 'expired') return;
  // The question as it stood when told; the view (read when delivered) for the questions an expiry ended.
  const told = notification.question ? [notification.question] : (notification.status.questions ?? []);
  for (const question of told) {
    const ends =
      notification.kind === 'expired' ? question.state === 'expired' : question.id === notification.questionId;
    if (!ends || question.state === 'open') continue;
    gateWait.observe({ outcome: question.state }, Math.max(0, (now - Date.parse(question.raisedAt)) / 1000));
  }
}

/** Times every activity attempt on the worker (a Temporal activity interceptor). */
export const timeActivities: ActivityInterceptorsFactory = (context) => ({
  inbound: {
    execute: async (input, next) => {
      const began = performance.now();
      const seconds = () => (performance.now() - began) / 1000;
      const activity = context.info.activityType.slice(0, 40);
      try {
        const result = await next(input);
        activityDuration.observe({ activity, outcome: 'completed' }, seconds());
        return result;
      } catch (error) {
        activityDuration.observe({ activity, outcome: 'failed' }, seconds());
        throw error;
      }
    },
  },
});

/** Step timings from the runner's progress events: from `started` to `applied` or `failed`. */
export function stepTimer(): (event: { step: string; status: string }) => void {
  const startedAt = new Map<string, number>();
  return ({ step, status }) => {
    if (status === 'started') startedAt.set(step, performance.now());
    const began = startedAt.get(step);
    if ((status === 'applied' || status === 'failed') && began !== undefined) {
      startedAt.delete(step);
      stepDuration.observe({ outcome: status }, (performance.now() - began) / 1000);
    }
  };
}

/**
 * Requests by state, counted from Temporal's visibility when scraped (the web server does, so that two
 * workers do not report the same requests twice).
 */
export function countRequestsByState(count: (state: RequestState) => Promise<number>): void {
  new Gauge({
    name: 'schemawright_requests',
    help: 'Requests by state, as Temporal lists them at scrape time.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await Promise.all(REQUEST_STATES.map(count));
      REQUEST_STATES.forEach((state, i) => this.set({ state }, counts[i]));
    },
  });
}
