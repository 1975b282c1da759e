import type { Duration } from '../spec';
import { modelingFinding, type ModelingFindingKind } from './kind';

const HOUR = 3600;
const DAY = 86_400;

/** What the recovery objectives call for, in the order a person would read it. */
function advice(rpo: Duration | undefined, rto: Duration | undefined): string {
  const parts: string[] = [];
  if (rpo) {
    if (rpo.seconds === 0)
      parts.push(
        'An RPO of 0 means no committed transaction may be lost: only a synchronous standby (synchronous_commit = on with synchronous_standby_names) gives that.',
      );
    else if (rpo.seconds < DAY)
      parts.push(
        `An RPO of ${rpo.text} needs continuous WAL archiving with point-in-time recovery (pgBackRest, WAL-G, Barman) and archive_timeout under ${rpo.text}; daily base backups alone would lose up to a day.`,
      );
    else
      parts.push(
        `An RPO of ${rpo.text} is met by base backups at least that often (pg_basebackup or a snapshot); WAL archiving would narrow it further at little cost.`,
      );
  }
  if (rto) {
    if (rto.seconds < HOUR)
      parts.push(
        `An RTO of ${rto.text} is shorter than restoring a large database takes: keep a hot standby to promote (Patroni or the platform's failover).`,
      );
    else
      parts.push(
        `An RTO of ${rto.text} allows restoring from backup: measure a full restore plus WAL replay against it, regularly.`,
      );
  }
  return parts.join(' ');
}

export const backup: ModelingFindingKind = {
  id: 'SW-REQ-BACKUP',
  severity: 'warning',
  explanation:
    'Backup and recovery the spec’s RPO (data that may be lost) and RTO (time until serving again) call for: point-in-time recovery with WAL archiving, periodic base backups, or a standby replica. Each costs storage, money or operations, so the choice is a person’s.',
  remedy:
    'Set up the backups the objectives call for (WAL archiving with point-in-time recovery, base backups, or a ' +
    'standby) and time a full restore against the RTO (SW-ESC-BACKUP asks which).',
  find({ spec }) {
    const { rpo, rto } = spec.requirements;
    if (!rpo && !rto) return [];
    return [
      modelingFinding(backup, {
        object: spec.name,
        message: `recovery objectives: RPO ${rpo?.text ?? 'not set'}, RTO ${rto?.text ?? 'not set'}`,
        why: advice(rpo, rto),
        evidence: { rpo: rpo?.text ?? null, rto: rto?.text ?? null },
      }),
    ];
  },
  examples: [
    {
      name: 'five minutes of data, one hour to recover: WAL archiving and a restore that fits the hour',
      spec: 'name: shop\nentities: { a: { fields: { x: text } } }\nrequirements: { rpo: 5m, rto: 1h }\n',
      expect: [
        {
          object: 'shop',
          message: 'recovery objectives: RPO 5m, RTO 1h',
          why: 'An RPO of 5m needs continuous WAL archiving with point-in-time recovery (pgBackRest, WAL-G, Barman) and archive_timeout under 5m; daily base backups alone would lose up to a day. An RTO of 1h allows restoring from backup: measure a full restore plus WAL replay against it, regularly.',
          evidence: { rpo: '5m', rto: '1h' },
        },
      ],
    },
    {
      name: 'no loss at all and thirty minutes: a synchronous standby and failover',
      spec: 'name: t\nentities: { a: { fields: { x: text } } }\nrequirements: { rpo: 0, rto: 30m }\n',
      expect: [{ evidence: { rpo: '0', rto: '30m' } }],
    },
    { name: 'no objectives, no advice', spec: 'name: t\nentities: { a: { fields: { x: text } } }\n', expect: [] },
  ],
};
