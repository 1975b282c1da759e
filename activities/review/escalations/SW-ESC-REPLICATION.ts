import type { Escalation } from '../../../artifacts/escalation';
import type { Finding } from '../../../artifacts/findings';
import { findingsOf, numberOf, textOf } from './context';
import { exampleFinding } from './examples';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-REPLICATION';
const REQ = 'SW-REQ-REPLICATION';

function escalationFor(finding: Finding, context: EscalationContext): Escalation {
  const reads = numberOf(finding.evidence, 'readsPerSecond');
  const consistency = textOf(finding.evidence, 'consistency') ?? 'unspecified';
  // Read-your-writes tolerates others' stale reads, which async replicas give; strong consistency does not.
  const strong = /strong|linear|immediate/i.test(consistency);
  const ownWrites = !strong && /read.?your.?writes/i.test(consistency);
  return {
    id: `${ID}:${finding.object ?? 'reads'}`,
    trigger: ID,
    task: context.task,
    problem: `${reads !== undefined ? `${reads.toLocaleString('en')} reads/s` : 'Read scaling'} with ${consistency} consistency: more than one server can serve, and replicas trade consistency for availability.`,
    attempted: [
      'Compared the read rate and the consistency requirement with what one server and its replicas provide.',
    ],
    options: [
      {
        id: 'sync-replica',
        title: 'Synchronous replica (remote_apply)',
        summary: 'Commits wait until a standby has applied them; reads on that standby see every committed write.',
        impact: {
          performance: 'Every commit pays a network round trip.',
          consistency: 'Strong on the synchronous standby.',
          scalability: 'Reads scale to the synchronous standbys; writes stall if they are all down.',
        },
        risk: 'medium',
        blockingSeconds: null,
      },
      {
        id: 'async-read-your-writes',
        title: 'Asynchronous replicas, read-your-writes routing',
        summary:
          "Replicas apply WAL behind the primary; a session reads from the primary until the replica has replayed past its last commit's LSN.",
        impact: {
          performance: 'No commit latency; routing logic in the application or proxy.',
          consistency: 'Each user sees their own writes; others may read slightly stale data.',
          scalability: 'Add replicas as reads grow.',
        },
        risk: 'medium',
        blockingSeconds: null,
      },
      {
        id: 'vertical',
        title: 'Scale the primary vertically',
        summary: 'One larger server serves all reads; no replicas for reads.',
        impact: {
          performance: 'Simple and fast until the machine is the limit.',
          consistency: 'Strong: one server.',
          scalability: 'Bounded by the largest machine; no read redundancy.',
        },
        risk: 'low',
        blockingSeconds: null,
      },
    ],
    recommendation: strong
      ? {
          optionId: 'sync-replica',
          reason:
            'Only a synchronous standby serves reads that see every committed write; asynchronous replicas may be stale.',
        }
      : ownWrites
        ? {
            optionId: 'async-read-your-writes',
            reason: 'It gives users their own writes without making every commit wait for a standby.',
          }
        : {
            optionId: 'vertical',
            reason:
              'Without a strong consistency need and at this rate, one larger server is the simplest thing that works.',
          },
    principles: ['Replication strategy: consistency vs availability in distributed systems'],
    evidence: { readsPerSecond: reads, consistency },
    steps: [],
  };
}

export const replication: EscalationTrigger = {
  id: ID,
  explanation: `Read scaling with a consistency requirement (${REQ}) is a choice between synchronous replicas, asynchronous ones with routing, and a bigger server.`,
  remedy:
    'Pick one option: a synchronous replica, asynchronous replicas with read-your-writes routing, or a bigger ' +
    'primary.',
  raise: (context) => findingsOf(context, REQ).map((finding) => escalationFor(finding, context)),
  examples: {
    fires: [
      {
        title: '20,000 reads/s, read-your-writes',
        modelingFindings: [
          exampleFinding(REQ, 'catalog-reads', { readsPerSecond: 20_000, consistency: 'read-your-writes' }),
        ],
        ids: [`${ID}:catalog-reads`],
      },
      {
        title: '5,000 reads/s, linearizable',
        modelingFindings: [
          exampleFinding(REQ, 'balance-reads', { readsPerSecond: 5_000, consistency: 'linearizable' }),
        ],
        ids: [`${ID}:balance-reads`],
      },
      {
        title: '2,000 reads/s, eventual',
        modelingFindings: [exampleFinding(REQ, 'feed-reads', { readsPerSecond: 2_000, consistency: 'eventual' })],
        ids: [`${ID}:feed-reads`],
      },
    ],
    quiet: [{ title: 'no replication requirement', modelingFindings: [], ids: [] }],
  },
};
