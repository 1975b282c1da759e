import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_POLICY_PATH, loadPolicy, parsePolicy, PolicyError } from '.';

const PEOPLE = `people:
  rita: { name: Rita, email: rita@example.test }
  ann: { name: Ann, email: Ann@Example.test, slack: U0ANN }
  bob: { name: Bob, slack: U0BOB }
  carl: { name: Carl, email: carl@example.test }
  ada: { name: Ada, email: ada@example.test }
admins: [ada]
`;

function problemsOf(text: string): string {
  try {
    parsePolicy(text, 'policy.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as Error).message;
  }
  throw new Error('the policy was accepted');
}

describe('the approval policy file', () => {
  it('without a path, uses the committed example, which matches the test policy people', () => {
    const policy = loadPolicy();
    expect(policy.source).toBe(EXAMPLE_POLICY_PATH);
    expect(policy.gatePolicyFor('shop', 'production')).toEqual({
      approvers: ['ann', 'bob'],
      backupApprovers: ['carl'],
      admins: ['ada'],
      quorum: 1,
      separationOfDuties: true,
    });
    expect(policy.person('rita')?.email).toBe('rita@example.test');
  });

  it('resolves field by field from the most specific rule: target/env, target/*, */env, */*', () => {
    const policy = parsePolicy(
      `${PEOPLE}targets:
  "*":
    "*": { approvers: [ann], backup_approvers: [carl] }
    production: { quorum: 2, approvers: [ann, bob] }
  shop:
    "*": { approvers: [bob, ann], separation_of_duties: false }
    production: { backup_approvers: [] }
`,
      'policy.yaml',
    );
    expect(policy.gatePolicyFor('shop', 'production')).toEqual({
      approvers: ['bob', 'ann'],
      backupApprovers: [],
      admins: ['ada'],
      quorum: 2,
      separationOfDuties: false,
    });
    expect(policy.gatePolicyFor('shop', 'staging')).toEqual({
      approvers: ['bob', 'ann'],
      backupApprovers: ['carl'],
      admins: ['ada'],
      quorum: 1,
      separationOfDuties: false,
    });
    expect(policy.gatePolicyFor('billing', 'production')).toEqual({
      approvers: ['ann', 'bob'],
      backupApprovers: ['carl'],
      admins: ['ada'],
      quorum: 2,
      separationOfDuties: true,
    });
    expect(policy.gatePolicyFor('billing', 'dev')).toMatchObject({
      approvers: ['ann'],
      quorum: 1,
      separationOfDuties: true,
    });
  });

  it('finds people by Slack id and by email, case-insensitively', () => {
    const policy = parsePolicy(`${PEOPLE}targets: { "*": { "*": { approvers: [ann] } } }\n`, 'policy.yaml');
    expect(policy.personBySlackId('U0BOB')?.id).toBe('bob');
    expect(policy.personByEmail('ann@example.TEST')?.id).toBe('ann');
    expect(policy.personBySlackId('U0NOBODY')).toBeUndefined();
  });

  it('names every problem with its line, column and fix', () => {
    const message = problemsOf(`people:
  ann: { name: Ann, email: not-an-email, slack: ann }
  bob: { name: Bob }
admins: [ada]
targets:
  shop:
    production: { approvers: [ann, bobb], quorum: 3, requires: 2 }
`);
    expect(message).toContain(
      "policy.yaml:2:28: people.ann.email: 'not-an-email' is not an email address like ann@example.com",
    );
    expect(message).toContain(
      "policy.yaml:2:49: people.ann.slack: 'ann' is not a Slack user id: use the member id (U… or W…)",
    );
    expect(message).toContain('policy.yaml:3:8: people.bob: bob cannot be reached: give an email, a slack id, or both');
    expect(message).not.toContain('people.ann: ann cannot be reached');
    expect(message).toContain(
      "policy.yaml:4:10: admins[0]: 'ada' is not in people; add it under people, or fix the spelling (known: ann, bob)",
    );
    expect(message).toContain(
      "policy.yaml:7:36: targets.shop.production.approvers[1]: 'bobb' is not in people; did you mean 'bob'?",
    );
    expect(message).toContain(
      "targets.shop.production.requires: unknown key 'requires'; expected one of: approvers, backup_approvers, quorum, separation_of_duties",
    );
    expect(message).toContain(
      'policy.yaml:7:17: targets.shop.production: quorum 3 cannot be met by 2 approver(s) (ann, bobb): lower the quorum or add approvers',
    );
  });

  it('refuses a Slack id or an email given to two people, at the second', () => {
    const message = problemsOf(
      `people:\n  ann: { name: Ann, email: ann@example.test, slack: U0ANN }\n  bob: { name: Bob, email: Ann@Example.test, slack: U0ANN }\ntargets: { "*": { "*": { approvers: [ann] } } }\n`,
    );
    expect(message).toContain(
      "policy.yaml:3:28: people.bob.email: email Ann@Example.test is also ann's: each email belongs to one person",
    );
    expect(message).toContain(
      "policy.yaml:3:53: people.bob.slack: slack U0ANN is also ann's: each Slack id belongs to one person",
    );
  });

  it('suggests the key meant', () => {
    expect(problemsOf(`${PEOPLE}targets: { "*": { "*": { approver: [ann] } } }\n`)).toContain(
      `policy.yaml:8:36: targets.*.*.approver: unknown key 'approver'; did you mean 'approvers'?; expected one of: approvers, backup_approvers, quorum, separation_of_duties`,
    );
  });

  it('checks the rules a target gets from the "*" target too: shop/production takes shop\'s approvers and production\'s quorum', () => {
    expect(
      problemsOf(
        `${PEOPLE}targets:\n  "*":\n    "*": { approvers: [ann, bob] }\n    production: { quorum: 2 }\n  shop:\n    "*": { approvers: [carl] }\n`,
      ),
    ).toContain(
      'policy.yaml:13:5: targets.shop: quorum 2 cannot be met by 1 approver(s) (carl) (no rule of its own: targets.shop and targets."*".production combined): lower the quorum or add approvers',
    );
  });

  it('refuses a rule that leaves a target without approvers, and says where to add them', () => {
    expect(problemsOf(`${PEOPLE}targets:\n  shop:\n    production: { quorum: 1 }\n`)).toContain(
      'targets.shop.production: no approvers for shop/production: set approvers here or under targets."*"."*"',
    );
    const policy = parsePolicy(`${PEOPLE}targets:\n  shop:\n    production: { approvers: [ann] }\n`, 'policy.yaml');
    expect(() => policy.gatePolicyFor('billing', 'production')).toThrow(
      'the approval policy names no approvers for billing/production: an admin adds targets.billing.production (or a "*" rule) with approvers',
    );
  });

  it('reports YAML syntax errors with their place, and a missing file with the way out', () => {
    expect(problemsOf('people: {ann: [\n')).toMatch(/^the policy file is not valid YAML:\n {2}policy\.yaml:\d+:\d+: /);
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    expect(() => loadPolicy(join(dir, 'missing.yaml'))).toThrow(
      `SCHEMAWRIGHT_POLICY=${join(dir, 'missing.yaml')}: no such file. Point it at a policy YAML file (start from ${EXAMPLE_POLICY_PATH}).`,
    );
    writeFileSync(join(dir, 'p.yaml'), `${PEOPLE}targets: { "*": { "*": { approvers: [ann, bob], quorum: 2 } } }\n`);
    expect(loadPolicy(join(dir, 'p.yaml')).gatePolicyFor('x', 'y').quorum).toBe(2);
  });
});
