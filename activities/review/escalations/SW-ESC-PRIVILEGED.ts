import { REJECT, type Escalation } from '../../../artifacts/escalation';
import type { SourceLocation } from '../../../artifacts/findings';
import { describeApplyRole } from '../../../postgres/privileged/apply-role';
import { privilegeReasons } from '../../../postgres/privileged/detector';
import { privileged as privilegedRule } from '../rules/SW-L-PRIVILEGED';
import { blockingOf, statementsOf, uniqueSteps, type LocatedStatement } from './context';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-PRIVILEGED';

/** The question shows this many statements, each cut at this length; all of them, whole, are in its evidence and the review report. */
const SHOWN_STATEMENTS = 20;
const SHOWN_CHARACTERS = 1500;

interface Flagged {
  located: LocatedStatement;
  reasons: string[];
  /** Where the statement is in its file (from the review's SW-L-PRIVILEGED findings), or in its step. */
  where: string;
}

/** Each privileged statement of the migration, with its reasons and its file and line. */
function flaggedStatements(context: EscalationContext): Flagged[] {
  const findings = (context.report?.findings ?? []).filter(
    (f) => f.id === privilegedRule.id && f.evidence?.direction === 'up',
  );
  const placed = new Set<SourceLocation>();
  return statementsOf(context).flatMap((located) => {
    const reasons = privilegeReasons(located.statement.node, located.statement.sql);
    if (reasons.length === 0) return [];
    const finding = findings.find(
      (f) => f.evidence?.sql === located.statement.sql && f.location && !placed.has(f.location),
    );
    if (finding?.location) placed.add(finding.location);
    const l = finding?.location;
    const where = l
      ? `${l.file ? `${l.file}:` : ''}${l.line}`
      : `step ${located.step.name}, statement ${located.index + 1}`;
    return [{ located, reasons, where }];
  });
}

function shown(sql: string): string {
  return sql.length <= SHOWN_CHARACTERS
    ? sql
    : `${sql.slice(0, SHOWN_CHARACTERS)}… (${sql.length - SHOWN_CHARACTERS} more characters: the whole statement is in the escalation's evidence and the review findings)`;
}

function escalationFor(flagged: Flagged[], context: EscalationContext): Escalation {
  const role = describeApplyRole(context.applyRole);
  const steps = uniqueSteps(flagged.map((f) => f.located));
  const lacksSuperuser = context.applyRole?.known === true && !context.applyRole.rights.includes('SUPERUSER');
  const more =
    flagged.length > SHOWN_STATEMENTS
      ? `\n… and ${flagged.length - SHOWN_STATEMENTS} more (all of them are in the escalation's evidence and the review findings)`
      : '';
  const listing =
    flagged
      .slice(0, SHOWN_STATEMENTS)
      .map((f) => `${f.where}: ${shown(f.located.statement.sql)}\n  it ${f.reasons.join('; it ')}`)
      .join('\n') + more;
  return {
    id: `${ID}:statements`,
    trigger: ID,
    task: context.task,
    problem:
      `${flagged.length} statement(s) need rights beyond the database or reach outside it. Review ran none of them, ` +
      `not even on the shadow. If the request is applied as written, ${role} runs them:\n${listing}`,
    attempted: [
      "Read every statement with PostgreSQL's parser, and every DO block and function body with its PL/pgSQL parser, looking for roles, server files and programs, server settings, other servers and untrusted code.",
      'Skipped these statements in the shadow verification: its result does not cover them.',
      `Read the rights of ${role} from the target's catalog.`,
    ],
    options: [
      {
        id: 'apply-as-written',
        title: `Apply as written, by ${context.applyRole ? `the apply role "${context.applyRole.name}"` : 'the apply role'}`,
        summary:
          `Runs the whole migration with these ${flagged.length} statement(s) exactly as shown, in steps ${steps.map((s) => s.name).join(', ')}, ` +
          `as ${role}.${lacksSuperuser ? ' That role is not a superuser: a statement that needs more than it holds fails at apply, which stops and asks again.' : ''}`,
        impact: {
          performance:
            'As written: these statements were not verified on the shadow, so their effect on the schema and their duration are not known in advance.',
          consistency:
            'They act beyond this database: on the whole cluster (roles, settings, other databases) or outside it (files, programs, other servers); no down migration undoes that.',
          scalability: 'No impact of their own on this schema.',
        },
        risk: 'high',
        blockingSeconds: blockingOf(steps, context),
      },
      {
        id: REJECT,
        title: 'Reject the request',
        summary:
          'Nothing of this request is applied: neither these statements nor the rest of the migration. To go ahead without them, submit the change again without them.',
        impact: {
          performance: 'No impact: nothing runs.',
          consistency: 'Nothing changes.',
          scalability: 'No impact.',
        },
        risk: 'low',
        blockingSeconds: null,
        // Choosing it ends the request (the workflow rejects on this option id), so this migration never renders.
        replacement: [],
      },
    ],
    recommendation: {
      optionId: REJECT,
      reason:
        'schema changes do not need rights over the whole server or access outside the database; unless these statements are clearly needed and their author is trusted with those rights, do not run them',
    },
    principles: [
      'Least privilege: a migration acts on its database and nothing else',
      'Nothing acts before a person approves',
    ],
    evidence: {
      statements: flagged.map((f) => ({
        where: f.where,
        step: f.located.step.name,
        sql: f.located.statement.sql,
        reasons: f.reasons,
      })),
      applyRole: context.applyRole ?? null,
    },
    steps: steps.map((s) => s.name),
  };
}

export const privileged: EscalationTrigger = {
  id: ID,
  explanation:
    'Statements that need rights beyond the database or reach outside it (roles, COPY to or from programs and server files, ' +
    'server-file and large-object functions, ALTER SYSTEM, LOAD, untrusted extensions and languages, SET ROLE, databases, ' +
    'tablespaces, event triggers, replication, foreign servers, SECURITY DEFINER, OWNER TO) are never run before approval, ' +
    'not even on the shadow. People see them verbatim with who would run them: apply as written by the apply role, or reject.',
  remedy:
    'Reject, and have a DBA run what is really needed (roles, extensions, settings) outside the migration; or, when the statements are ' +
    'needed and the apply role holds the rights, apply them as written.',
  raise(context) {
    const flagged = flaggedStatements(context);
    return flagged.length ? [escalationFor(flagged, context)] : [];
  },
  examples: {
    fires: [
      {
        title: 'a role created by a migration',
        sql: "CREATE TABLE notes (id int);\nCREATE ROLE evil LOGIN PASSWORD 'x'",
        ids: [`${ID}:statements`],
      },
      {
        title: 'COPY to a program and a DO block reading a server file',
        sql: "CREATE TABLE loot (body text);\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/x';\nDO $$ BEGIN INSERT INTO loot SELECT pg_read_file('/etc/hostname'); END $$",
        applyRole: { name: 'deploy', rights: ['SUPERUSER'], known: true },
        ids: [`${ID}:statements`],
      },
    ],
    quiet: [
      {
        title: 'an ordinary schema change',
        sql: "ALTER TABLE notes ADD COLUMN body text;\nCOPY notes FROM STDIN;\nSET lock_timeout = '5s'",
        ids: [],
      },
      {
        title: 'a trusted extension and a plain PL/pgSQL trigger function',
        sql: 'CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$',
        ids: [],
      },
    ],
  },
};
