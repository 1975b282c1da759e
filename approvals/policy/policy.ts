import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Node } from 'yaml';
import { didYouMean } from '../../config/did-you-mean';
import { ConfigError } from '../../config/environment';
import { YamlSource, type YamlPath } from '../../config/yaml-source';
import { parseGroups, type TargetGroup } from '../../config/target-groups';
import type { GatePolicy } from '../../workflows/design-request-messages';

/**
 * The approval policy file: people, who approves per target and environment, and who may override.
 */
export interface Person {
  id: string;
  name: string;
  email?: string;
  /** Slack user id (U…/W…), not a display name: names change, ids do not. */
  slack?: string;
}

export interface Policy {
  /** The file it came from, for messages. */
  source: string;
  people: Person[];
  /** The targets it names (not "*"): each may be a database of that name on the store's server (config/targets.ts). */
  targets: string[];
  /** Target groups for rollouts (config/target-groups.ts); a group's name is a target for its approval rules. */
  groups: TargetGroup[];
  gatePolicyFor(target: string, environment: string): GatePolicy;
  person(id: string): Person | undefined;
  personBySlackId(slackId: string): Person | undefined;
  personByEmail(email: string): Person | undefined;
}

export const EXAMPLE_POLICY_PATH = join(__dirname, '..', '..', 'config', 'policy.example.yaml');
export const POLICY_VARIABLE = 'SCHEMAWRIGHT_POLICY';

export class PolicyError extends ConfigError {
  override name = 'PolicyError';
}

interface Rule {
  approvers?: string[];
  backupApprovers?: string[];
  quorum?: number;
  separationOfDuties?: boolean;
}

const ID = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;
const SLACK_ID = /^[UW][A-Z0-9]{2,}$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const TOP_KEYS = ['people', 'admins', 'targets', 'groups'];
const PERSON_KEYS = ['name', 'email', 'slack'];
const RULE_KEYS = ['approvers', 'backup_approvers', 'quorum', 'separation_of_duties'];

/**
 * The policy at `path` (SCHEMAWRIGHT_POLICY, read in config/environment.ts as approvals.policyPath);
 * without one, the committed example config/policy.example.yaml, meant for a first try only.
 */
export function loadPolicy(path?: string): Policy {
  const file = resolve(path ?? EXAMPLE_POLICY_PATH);
  if (!existsSync(file)) {
    throw new PolicyError(
      `${POLICY_VARIABLE}=${path}: no such file. Point it at a policy YAML file (start from ${EXAMPLE_POLICY_PATH}).`,
    );
  }
  return parsePolicy(readFileSync(file, 'utf8'), file);
}

/** Parses and validates a policy; every problem is reported at once, each with its place and fix. */
export function parsePolicy(text: string, source: string): Policy {
  const yaml = new YamlSource(text);
  if (yaml.syntaxErrors.length)
    throw new PolicyError(
      `the policy file is not valid YAML:\n  ${yaml.syntaxErrors.map((e) => `${source}:${e.line}:${e.column}: ${e.message}`).join('\n  ')}`,
    );
  const problems: string[] = [];
  const problem = (path: YamlPath, message: string) => {
    const at = yaml.problem(path, yaml.document.getIn(path, true) as Node | undefined, message);
    problems.push(`${source}:${at.line}:${at.column}: ${at.path || '(top)'}: ${at.message}`);
  };

  const root = yaml.document.toJS() as unknown;
  if (!isRecord(root))
    throw new PolicyError(
      `${source}: a policy is a mapping with people, admins and targets; see ${EXAMPLE_POLICY_PATH}`,
    );
  unknownKeys(root, TOP_KEYS, [], problem);

  const people = new Map<string, Person>();
  // A Slack id or an email found on two people would let one of them act as the other.
  const owners = new Map<string, string>();
  const ownedOnce = (path: YamlPath, id: string, key: 'email' | 'slack', value: string): void => {
    const owner = owners.get(`${key}:${value.toLowerCase()}`);
    if (owner)
      problem(
        [...path, key],
        `${key} ${value} is also ${owner}'s: each ${key === 'slack' ? 'Slack id' : 'email'} belongs to one person`,
      );
    else owners.set(`${key}:${value.toLowerCase()}`, id);
  };
  if (!isRecord(root.people) || !Object.keys(root.people).length) {
    problem(
      ['people'],
      'name at least one person: `people: { ann: { name: Ann, email: ann@example.com, slack: U012ABC } }`',
    );
  } else {
    for (const [id, raw] of Object.entries(root.people)) {
      const path = ['people', id];
      if (!ID.test(id)) problem(path, `person id '${id}' must be letters, digits, _, . and -`);
      if (!isRecord(raw)) {
        problem(path, 'a person is a mapping: `{ name: ..., email: ..., slack: U... }`');
        continue;
      }
      unknownKeys(raw, PERSON_KEYS, path, problem);
      const person: Person = { id, name: typeof raw.name === 'string' && raw.name.trim() ? raw.name : id };
      if (raw.email !== undefined) {
        if (typeof raw.email !== 'string' || !EMAIL.test(raw.email))
          problem([...path, 'email'], `'${String(raw.email)}' is not an email address like ann@example.com`);
        else {
          person.email = raw.email;
          ownedOnce(path, id, 'email', raw.email);
        }
      }
      if (raw.slack !== undefined) {
        if (typeof raw.slack !== 'string' || !SLACK_ID.test(raw.slack))
          problem(
            [...path, 'slack'],
            `'${String(raw.slack)}' is not a Slack user id: use the member id (U… or W…) from the person's Slack profile, not a name`,
          );
        else {
          person.slack = raw.slack;
          ownedOnce(path, id, 'slack', raw.slack);
        }
      }
      if (raw.email === undefined && raw.slack === undefined)
        problem(path, `${id} cannot be reached: give an email, a slack id, or both`);
      people.set(id, person);
    }
  }

  const known = (path: YamlPath, value: unknown, what: string): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      problem(path, `${what} is a list of person ids, like [ann, bob]`);
      return [];
    }
    value.forEach((id: string, index) => {
      if (!people.has(id))
        problem(
          [...path, index],
          `'${id}' is not in people${didYouMean(id, people.keys()) || `; add it under people, or fix the spelling (known: ${[...people.keys()].join(', ')})`}`,
        );
    });
    return value as string[];
  };
  const admins = known(['admins'], root.admins, 'admins');

  const rules = new Map<string, Rule>();
  if (!isRecord(root.targets) || !Object.keys(root.targets).length) {
    problem(['targets'], 'say who approves: `targets: { "*": { "*": { approvers: [ann, bob] } } }`');
  } else {
    for (const [target, environments] of Object.entries(root.targets)) {
      if (!isRecord(environments)) {
        problem(
          ['targets', target],
          'a target maps environments ("*" for any) to rules: `{ production: { approvers: [ann] } }`',
        );
        continue;
      }
      for (const [environment, raw] of Object.entries(environments)) {
        const path = ['targets', target, environment];
        if (!isRecord(raw)) {
          problem(path, 'a rule is a mapping with approvers, backup_approvers, quorum, separation_of_duties');
          continue;
        }
        unknownKeys(raw, RULE_KEYS, path, problem);
        const rule: Rule = {};
        if (raw.approvers !== undefined) rule.approvers = known([...path, 'approvers'], raw.approvers, 'approvers');
        if (raw.backup_approvers !== undefined)
          rule.backupApprovers = known([...path, 'backup_approvers'], raw.backup_approvers, 'backup_approvers');
        if (raw.quorum !== undefined) {
          if (!Number.isInteger(raw.quorum) || (raw.quorum as number) < 1)
            problem(
              [...path, 'quorum'],
              `quorum must be a whole number of approvers, 1 or more (got ${String(raw.quorum)})`,
            );
          else rule.quorum = raw.quorum as number;
        }
        if (raw.separation_of_duties !== undefined) {
          if (typeof raw.separation_of_duties !== 'boolean')
            problem([...path, 'separation_of_duties'], 'separation_of_duties is true or false');
          else rule.separationOfDuties = raw.separation_of_duties;
        }
        rules.set(ruleKey(target, environment), rule);
      }
    }
  }
  // Every rule a request can meet, each written one completed by the less specific ones, must be
  // satisfiable; so must each target's rule merged with another target's environment ("*".production into shop."*").
  const targets = new Set([...rules.keys()].map((key) => key.split('\u0000')[0]!));
  const environments = new Set([...rules.keys()].map((key) => key.split('\u0000')[1]!));
  for (const target of targets) {
    for (const environment of environments) {
      const written = rules.has(ruleKey(target, environment));
      const resolved = resolveRule(rules, target, environment);
      const path = written ? ['targets', target, environment] : ['targets', target];
      const where = written
        ? ''
        : ` (no rule of its own: targets.${target} and targets."*".${environment === '*' ? '"*"' : environment} combined)`;
      if (!resolved.approvers?.length)
        problem(path, `no approvers for ${target}/${environment}${where}: set approvers here or under targets."*"."*"`);
      else if ((resolved.quorum ?? 1) > resolved.approvers.length) {
        problem(
          path,
          `quorum ${resolved.quorum} cannot be met by ${resolved.approvers.length} approver(s) (${resolved.approvers.join(', ')})${where}: lower the quorum or add approvers`,
        );
      }
    }
  }
  const groups = parseGroups(root.groups, problem);
  if (problems.length)
    throw new PolicyError(`the policy file has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);

  const bySlack = new Map([...people.values()].filter((p) => p.slack).map((p) => [p.slack!, p]));
  const byEmail = new Map([...people.values()].filter((p) => p.email).map((p) => [p.email!.toLowerCase(), p]));
  return {
    source,
    people: [...people.values()],
    targets: [...targets].filter((target) => target !== '*'),
    groups,
    gatePolicyFor(target, environment) {
      const rule = resolveRule(rules, target, environment);
      if (!rule.approvers?.length) {
        // Said to requesters in Slack and the API too: the file's place on the server is not theirs to know.
        throw new PolicyError(
          `the approval policy names no approvers for ${target}/${environment}: an admin adds targets.${target}.${environment} (or a "*" rule) with approvers`,
        );
      }
      return {
        approvers: rule.approvers,
        backupApprovers: rule.backupApprovers ?? [],
        admins,
        quorum: rule.quorum ?? 1,
        separationOfDuties: rule.separationOfDuties ?? true,
      };
    },
    person: (id) => people.get(id),
    personBySlackId: (slackId) => bySlack.get(slackId),
    personByEmail: (email) => byEmail.get(email.toLowerCase()),
  };
}

function ruleKey(target: string, environment: string): string {
  return `${target}\u0000${environment}`;
}

/** Field by field, the most specific rule that sets it wins. */
function resolveRule(rules: Map<string, Rule>, target: string, environment: string): Rule {
  const chain = [ruleKey(target, environment), ruleKey(target, '*'), ruleKey('*', environment), ruleKey('*', '*')].map(
    (k) => rules.get(k) ?? {},
  );
  const pick = <K extends keyof Rule>(field: K): Rule[K] => chain.find((rule) => rule[field] !== undefined)?.[field];
  return {
    approvers: pick('approvers'),
    backupApprovers: pick('backupApprovers'),
    quorum: pick('quorum'),
    separationOfDuties: pick('separationOfDuties'),
  };
}

function unknownKeys(
  value: Record<string, unknown>,
  allowed: string[],
  path: YamlPath,
  problem: (path: YamlPath, message: string) => void,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      problem(
        [...path, key],
        `unknown key '${key}'${didYouMean(key, allowed)}; expected one of: ${allowed.join(', ')}`,
      );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
