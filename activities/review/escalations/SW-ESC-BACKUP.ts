import type { Escalation } from '../../../artifacts/escalation';
import type { Finding } from '../../../artifacts/findings';
import { durationSeconds, findingsOf, textOf } from './context';
import { exampleFinding } from './examples';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-BACKUP';
const REQ = 'SW-REQ-BACKUP';

function escalationFor(finding: Finding, context: EscalationContext): Escalation {
  const rpo = textOf(finding.evidence, 'rpo') ?? String(finding.evidence?.rpo ?? 'unspecified');
  const rto = textOf(finding.evidence, 'rto') ?? String(finding.evidence?.rto ?? 'unspecified');
  const rpoSeconds = durationSeconds(rpo);
  const rtoSeconds = durationSeconds(rto);
  const recommendation =
    rtoSeconds !== undefined && rtoSeconds < 3600
      ? {
          optionId: 'replica',
          reason: `An RTO of ${rto} leaves no time to restore a backup: fail over to a standby (and keep PITR for mistakes a replica copies).`,
        }
      : rpoSeconds !== undefined && rpoSeconds < 86400
        ? {
            optionId: 'pitr-wal-archiving',
            reason: `An RPO of ${rpo} needs WAL archiving: daily backups would lose up to a day.`,
          }
        : {
            optionId: 'daily-base-backups',
            reason: `An RPO of ${rpo} is met by daily base backups at the lowest cost.`,
          };
  return {
    id: `${ID}:${finding.object ?? 'database'}`,
    trigger: ID,
    task: context.task,
    problem: `The requirements set a recovery point objective of ${rpo} and a recovery time objective of ${rto}: each backup strategy meets them at a different cost.`,
    attempted: ['Compared the RPO and RTO with what each strategy guarantees.'],
    options: [
      {
        id: 'pitr-wal-archiving',
        title: 'Point-in-time recovery: base backups + continuous WAL archiving',
        summary:
          'Archive every WAL segment (archive_command or pgBackRest/WAL-G) beside periodic base backups; restore to any moment.',
        impact: {
          performance: 'Small: WAL is written anyway; archiving adds I/O and network.',
          consistency: 'Recovers to any point, including just before a bad migration.',
          scalability: 'Restore time grows with the WAL to replay since the last base backup.',
        },
        risk: 'low',
        blockingSeconds: null,
      },
      {
        id: 'daily-base-backups',
        title: 'Daily base backups',
        summary: 'One physical or logical backup a day, kept for the retention period.',
        impact: {
          performance: 'A nightly read of the whole database.',
          consistency: 'Up to a day of writes lost.',
          scalability: 'Cheapest storage; restores take as long as the copy.',
        },
        risk: 'medium',
        blockingSeconds: null,
      },
      {
        id: 'replica',
        title: 'A standby replica to fail over to',
        summary:
          'A streaming replica ready to be promoted, beside backups for what a replica faithfully copies (a DROP TABLE).',
        impact: {
          performance: 'No load on the primary beyond WAL shipping.',
          consistency: 'Loses at most what was not yet shipped (none if synchronous).',
          scalability: 'Doubles the servers; the standby can serve reads.',
        },
        risk: 'low',
        blockingSeconds: null,
      },
    ],
    recommendation,
    principles: ['Backup strategy: recovery time vs storage costs'],
    evidence: { rpo, rto },
    steps: [],
  };
}

export const backup: EscalationTrigger = {
  id: ID,
  explanation: `An RPO/RTO in the requirements (${REQ}) decides the backup strategy and its cost: PITR with WAL archiving, daily base backups, or a replica.`,
  remedy:
    'Pick one option: point-in-time recovery with base backups and continuous WAL archiving, daily base backups, or ' +
    'a standby replica to fail over to.',
  raise: (context) => findingsOf(context, REQ).map((finding) => escalationFor(finding, context)),
  examples: {
    fires: [
      {
        title: 'RPO 5 minutes, RTO 4 hours',
        modelingFindings: [exampleFinding(REQ, 'shop', { rpo: '5 minutes', rto: '4 hours' })],
        ids: [`${ID}:shop`],
      },
    ],
    quiet: [{ title: 'no backup requirement', analysisFindings: [exampleFinding('SW-A-NO-PK', 't', {})], ids: [] }],
  },
};
