import { MODELING_THRESHOLDS, modelingFinding, type ModelingFindingKind } from './kind';

const ADVICE: Record<string, string> = {
  strong:
    'Strong consistency rules out serving reads from asynchronous replicas. Options: a synchronous replica (synchronous_commit = remote_apply: every commit waits for it), or scale the primary up and keep replicas for failover only.',
  read_your_writes:
    'Asynchronous replicas can serve these reads if a session reads from the primary after its own writes (or waits until a replica has replayed its commit LSN); options: async replicas with read-your-writes routing, a synchronous replica, or a bigger primary.',
  eventual:
    'Asynchronous streaming replicas behind a load balancer can serve these reads; watch replication lag and route nothing that must be current to them.',
};

export const replication: ModelingFindingKind = {
  id: 'SW-REQ-REPLICATION',
  severity: 'warning',
  explanation:
    'Read load high enough that one primary should not carry it alone, weighed against the consistency the spec asks for: replicas scale reads but answer from slightly in the past unless they are synchronous, which costs every commit a round trip.',
  remedy:
    'Choose how reads scale: a synchronous replica, asynchronous replicas with read-your-writes routing, or a ' +
    'bigger primary (SW-ESC-REPLICATION asks which).',
  find({ spec }) {
    const { readsPerSecond, consistency } = spec.requirements;
    if (readsPerSecond === undefined || readsPerSecond < MODELING_THRESHOLDS.replicationReadsPerSecond) return [];
    return [
      modelingFinding(replication, {
        object: spec.name,
        message: `${readsPerSecond} reads a second with ${consistency.replace(/_/g, '-')} consistency`,
        why: ADVICE[consistency]!,
        evidence: { readsPerSecond, consistency },
      }),
    ];
  },
  examples: [
    {
      name: '12,000 reads a second with read-your-writes',
      spec: 'name: t\nentities: { a: { fields: { x: text } } }\nrequirements: { reads_per_second: 12000, consistency: read_your_writes }\n',
      expect: [
        {
          object: 't',
          message: '12000 reads a second with read-your-writes consistency',
          evidence: { readsPerSecond: 12000, consistency: 'read_your_writes' },
        },
      ],
    },
    {
      name: '800 reads a second need no replica',
      spec: 'name: t\nentities: { a: { fields: { x: text } } }\nrequirements: { reads_per_second: 800 }\n',
      expect: [],
    },
  ],
};
