import { ephemeralDecisionSigner } from './decision-keys';
import { requestApprovalProblem, updateIdFor, type RequestApprovals } from './signed-approvals';
import type { DecisionInput, GatePolicy } from '../workflows/design-request-messages';

const signer = ephemeralDecisionSigner();
const attacker = ephemeralDecisionSigner();
const policy: GatePolicy = {
  approvers: ['ann', 'bob'],
  backupApprovers: ['carl'],
  admins: ['ada'],
  quorum: 1,
  separationOfDuties: true,
};
const RUN = 'run-1';

function approval(
  person: string,
  options: { requestId?: string; run?: string; by?: typeof signer; option?: string } = {},
) {
  const updateId = updateIdFor(options.run ?? RUN, `web-${person}`);
  const decision: DecisionInput = {
    questionId: 'approve',
    optionId: options.option ?? 'apply',
    person,
    channel: 'web',
  };
  return { decision: (options.by ?? signer).sign(options.requestId ?? 'r1', updateId, decision), updateId };
}

function problem(approvals: RequestApprovals['approvals'], overrides: Partial<GatePolicy> = {}) {
  return requestApprovalProblem(
    { requestId: 'r1', runId: RUN, target: 'shop', requester: 'rita', approvals },
    signer.publicKeys,
    { ...policy, ...overrides },
  );
}

describe('a request is applied only with approvals that hold with the worker’s keys and policy', () => {
  it('an approver’s approval, signed by their channel for this request and run, is enough for a quorum of one', () => {
    expect(problem([approval('ann')])).toBeUndefined();
  });

  it('refuses an approval signed with a key the worker does not hold', () => {
    expect(problem([approval('ann', { by: attacker })])).toMatch(
      /0 valid approval\(s\) of 1 needed on 'approve'; nothing was applied to shop/,
    );
  });

  it('refuses an approval signed for another request, or for an earlier run of this one', () => {
    expect(problem([approval('ann', { requestId: 'r2' })])).toMatch(/0 valid approval/);
    expect(problem([approval('ann', { run: 'run-0' })])).toMatch(/0 valid approval/);
  });

  it('refuses the requester’s own approval where the policy separates duties, and counts it where it does not', () => {
    const own = approval('rita');
    expect(problem([own], { approvers: ['rita', 'ann'] })).toMatch(/other than the requester rita/);
    expect(problem([own], { approvers: ['rita', 'ann'], separationOfDuties: false })).toBeUndefined();
  });

  it('counts only people the worker’s policy lets decide, and a rejection as no approval', () => {
    expect(problem([approval('mallory')])).toMatch(/0 valid approval/);
    expect(problem([approval('carl')])).toBeUndefined();
    expect(problem([approval('ann', { option: 'reject' })])).toMatch(/0 valid approval/);
  });

  it('a quorum of two needs two distinct approvers', () => {
    expect(problem([approval('ann'), approval('ann')], { quorum: 2 })).toMatch(/1 valid approval\(s\) of 2/);
    expect(problem([approval('ann'), approval('bob')], { quorum: 2 })).toBeUndefined();
  });

  it('refuses an apply that shows no approvals, or was scheduled by a workflow from before this check', () => {
    expect(problem([])).toMatch(/recorded no approval/);
    expect(problem(undefined)).toMatch(/started before its approvals were checked/);
  });
});
