import type { Escalation } from '../../artifacts/escalation';
import type { Finding } from '../../artifacts/findings';
import type { Migration } from '../../artifacts/migration';
import { formatSeconds } from './locks';
import { LOCK_BLOCKING } from './locks/engine';

export const REVERT_TRIGGER = 'SW-REVERT';

export interface RevertQuestionInput {
  /** The applied request this one reverts, and why. */
  reverts: { requestId: string; reason: string };
  /** The revert's migrations: the downs, as the runner will apply them. */
  migrations: Migration[];
  /** What review found in them (the lock model's among them). */
  findings: Finding[];
  /** What review raised about them (downtime, destroyed data): asked beside this question. */
  escalations: Escalation[];
}

/**
 * A revert's own question, always asked: its approvers see what the down does (its statements),
 * what the lock model says it blocks and for how long, and the data it destroys (the escalations
 * review raised, asked beside it). Review ran the downs on the sandbox before anyone is asked.
 */
export function revertQuestion({ reverts, migrations, findings, escalations }: RevertQuestionInput): Escalation {
  const statements = migrations.flatMap((m) => m.steps.map((s) => `${m.version} ${s.name}: ${firstLine(s.sql)}`));
  const locks = findings.filter((f) => f.id === LOCK_BLOCKING).map((f) => f.message);
  const blocking = escalations.map((e) => blockingOf(e)).filter((s): s is number => s !== null);
  const longest = blocking.length ? Math.max(...blocking) : null;
  const others = escalations.map((e) => `${e.trigger}: ${e.problem}`);
  const reverted = migrations.map((m) => m.version).join(', ');
  return {
    id: `${REVERT_TRIGGER}:${reverts.requestId}`,
    trigger: REVERT_TRIGGER,
    task: `Revert request ${reverts.requestId}: ${reverts.reason}`,
    problem: [
      `Revert request ${reverts.requestId} (${reverts.reason}): run the down of migration ${reverted}, ${statements.length} step(s): ${statements.join('; ')}`,
      `Locks: ${locks.length ? locks.join(' ') : 'the lock model found no statement that blocks reads or writes for long'}`,
      others.length ? `Also asked: ${others.join(' ')}` : 'Review raised no other question',
    ]
      .map((text) => (text.endsWith('.') ? text : `${text}.`))
      .join(' '),
    attempted: [
      `checked that the target's history still records every step of request ${reverts.requestId} as it applied them`,
      'reviewed the down (rules, lock model) and ran it on the sandbox, with the way back (the original migration) after it',
    ],
    options: [
      {
        id: 'revert',
        title: `Run the down: take back request ${reverts.requestId}`,
        summary:
          'The runner applies the down step by step under the target lock, with a history row per step, and marks the reverted steps undone.',
        impact: {
          performance: longest === null ? 'no long lock by the lock model' : `blocks up to ${formatSeconds(longest)}`,
          consistency: 'the schema returns to before the request; data written into what the down drops is lost',
          scalability: 'as before the request',
        },
        risk: longest !== null && longest >= 10 ? 'high' : escalations.length ? 'medium' : 'low',
        blockingSeconds: longest,
      },
    ],
    recommendation: {
      optionId: 'revert',
      reason: 'the down was reviewed and ran on the sandbox; weigh the questions asked beside this one',
    },
    principles: ['a way back is a change like any other: reviewed, approved, recorded'],
    evidence: { reverts: reverts.requestId, reason: reverts.reason, statements, locks },
    steps: [],
  };
}

function blockingOf(escalation: Escalation): number | null {
  const seconds = escalation.options.map((o) => o.blockingSeconds).filter((s): s is number => s !== null);
  return seconds.length ? Math.max(...seconds) : null;
}

function firstLine(sql: string): string {
  const line = sql.trim().split('\n')[0]!.replace(/;$/, '');
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
