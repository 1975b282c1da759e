import type { Escalation } from '../../artifacts/escalation';
import type { Finding } from '../../artifacts/findings';
import { revertQuestion } from './revert-question';
import { LOCK_BLOCKING } from './locks/engine';

const DOWN = {
  version: '001',
  name: 'notes (revert)',
  steps: [{ kind: 'transactional' as const, name: 'revert r2#1', sql: 'DROP TABLE notes;\nDROP TABLE tags;' }],
  reverts: ['001_notes#1'],
};

describe('a revert question', () => {
  it('says what the down runs, what the lock model found, and which other questions are asked beside it', () => {
    const lock: Finding = {
      id: LOCK_BLOCKING,
      source: 'schemawright',
      severity: 'warning',
      message: 'DROP TABLE notes takes ACCESS EXCLUSIVE on notes: reads and writes wait.',
      why: '',
    };
    const destructive = {
      id: 'SW-ESC-DESTRUCTIVE:notes',
      trigger: 'SW-ESC-DESTRUCTIVE',
      problem: 'DROP TABLE notes destroys its 120 rows.',
      options: [{ id: 'proceed', blockingSeconds: 12 }],
    } as Escalation;
    const question = revertQuestion({
      reverts: { requestId: 'r1', reason: 'rolled back' },
      migrations: [DOWN],
      findings: [lock],
      escalations: [destructive],
    });
    expect(question).toMatchObject({ id: 'SW-REVERT:r1', trigger: 'SW-REVERT', steps: [] });
    expect(question.problem).toBe(
      'Revert request r1 (rolled back): run the down of migration 001, 1 step(s): 001 revert r2#1: DROP TABLE notes. ' +
        'Locks: DROP TABLE notes takes ACCESS EXCLUSIVE on notes: reads and writes wait. ' +
        'Also asked: SW-ESC-DESTRUCTIVE: DROP TABLE notes destroys its 120 rows.',
    );
    expect(question.options).toMatchObject([{ id: 'revert', risk: 'high', blockingSeconds: 12 }]);
    // No replacement: choosing it renders the downs as reviewed.
    expect(question.options[0]!.replacement).toBeUndefined();
  });

  it('with no long lock and nothing else asked, it is a low-risk question of its own', () => {
    const question = revertQuestion({
      reverts: { requestId: 'r1', reason: 'rolled back' },
      migrations: [DOWN],
      findings: [],
      escalations: [],
    });
    expect(question.problem).toContain(
      'Locks: the lock model found no statement that blocks reads or writes for long. Review raised no other question.',
    );
    expect(question.options).toMatchObject([{ id: 'revert', risk: 'low', blockingSeconds: null }]);
  });
});
