import { objectEffects } from '../object-effects';
import type { ParsedStatement } from '../../../postgres/parse';
import type { LintRule, RuleViolation } from './rule';

/** Names PostgreSQL gives implicitly (constraint indexes, serial sequences): the up may create them without naming them. */
const implicitName = /_(pkey|key|excl|seq|fkey|check)$/;

export const downFails: LintRule = {
  id: 'SW-L-DOWN-FAILS',
  severity: 'warning',
  explanation:
    'A down migration is the way back when a release goes wrong; one that fails leaves the database half reverted at the worst moment. ' +
    'This is the static check (objects the up neither created nor kept); the shadow verification runs the down for real.',
  remedy:
    'Make the down act only on what the up created or left behind, in reverse order: re-create what the up removed ' +
    'before changing it, and add IF EXISTS only where the object may really be absent.',
  check(statements, { down }) {
    if (!down || down.length === 0) return [];
    const created = new Set<string>();
    const removedByUp = new Set<string>();
    for (const effects of statements.map(objectEffects)) {
      for (const { key } of effects.removes) {
        created.delete(key);
        removedByUp.add(key);
      }
      for (const key of effects.creates) {
        created.add(key);
        removedByUp.delete(key);
      }
      if (effects.renamedRelation) [created, removedByUp].forEach((set) => moveColumns(set, effects.renamedRelation!));
    }
    const downEffects = down.map(objectEffects);
    const recreatedByDown = new Set<string>();
    const violations: RuleViolation[] = [];
    downEffects.forEach((effects, index) => {
      const statement = down[index]!;
      for (const key of effects.alters.concat(effects.removes.filter((r) => r.mustExist).map((r) => r.key))) {
        if (removedByUp.has(key) && !recreatedByDown.has(key)) violations.push(missing(statement, key));
      }
      // A down that drops a column and adds it back later is rebuilding (e.g. to restore column order).
      const addedLater = new Set(downEffects.slice(index + 1).flatMap((later) => later.creates));
      for (const { key, mustExist } of effects.removes) {
        const name = key.slice(key.indexOf(':') + 1);
        const allColumns = key.startsWith('column:') ? `${key.slice(0, key.lastIndexOf('.'))}.*` : key;
        const known = [key, allColumns].some(
          (k) => created.has(k) || removedByUp.has(k) || recreatedByDown.has(k) || addedLater.has(k),
        );
        if (mustExist && !known && !implicitName.test(name)) violations.push(notCreated(statement, key));
        recreatedByDown.delete(key);
      }
      for (const key of effects.creates) recreatedByDown.add(key);
      if (effects.renamedRelation)
        [created, removedByUp, recreatedByDown].forEach((set) => moveColumns(set, effects.renamedRelation!));
    });
    return violations;
  },
  examples: {
    pass: [
      {
        sql: 'CREATE TABLE tags (id bigint); ALTER TABLE posts ADD COLUMN tag_id bigint',
        down: 'ALTER TABLE posts DROP COLUMN tag_id; DROP TABLE tags',
      },
      { sql: 'DROP TABLE legacy', down: 'CREATE TABLE legacy (id bigint); ALTER TABLE legacy ADD COLUMN note text' },
      {
        sql: 'ALTER TABLE users RENAME COLUMN name TO full_name',
        down: 'ALTER TABLE users RENAME COLUMN full_name TO name',
      },
      { sql: 'CREATE TABLE t (id serial PRIMARY KEY)', down: 'DROP SEQUENCE t_id_seq; DROP TABLE t' },
      {
        sql: 'ALTER TABLE posts ADD COLUMN a int',
        down: 'DROP TABLE IF EXISTS scratch; ALTER TABLE posts DROP COLUMN a',
      },
      {
        sql: 'ALTER TABLE users RENAME COLUMN uid TO person_id; ALTER TABLE users RENAME TO people',
        down: 'ALTER TABLE people RENAME TO users; ALTER TABLE users RENAME COLUMN person_id TO uid',
      },
      {
        sql: 'ALTER TABLE users ADD COLUMN a int',
        down: 'ALTER TABLE users DROP COLUMN a, DROP COLUMN b; ALTER TABLE users ADD COLUMN b text',
      },
      {
        sql: 'CREATE TABLE actions AS SELECT person_id, followed FROM follower',
        down: 'ALTER TABLE actions RENAME TO follower; ALTER TABLE follower RENAME COLUMN followed TO published',
      },
      {
        sql: "ALTER TYPE sort RENAME TO sort__; CREATE TYPE sort AS ENUM ('new'); DROP TYPE sort__",
        down: "ALTER TYPE sort RENAME TO sort__; CREATE TYPE sort AS ENUM ('old'); DROP TYPE sort__",
      },
    ],
    fail: [
      {
        sql: 'ALTER TABLE posts ADD COLUMN tag_id bigint',
        down: 'ALTER TABLE posts DROP COLUMN tag; DROP TABLE tags',
        messages: [
          'The down drops column posts.tag, which the up did not create: the down fails if it is missing, or destroys what existed before the up.',
          'The down drops relation tags, which the up did not create: the down fails if it is missing, or destroys what existed before the up.',
        ],
      },
      {
        sql: 'DROP TABLE legacy',
        down: 'ALTER TABLE legacy ADD COLUMN note text',
        messages: [
          'The down changes relation legacy, which the up removed and the down does not re-create first: the down fails.',
        ],
      },
      {
        sql: 'ALTER TABLE users RENAME COLUMN name TO full_name',
        down: 'ALTER TABLE users RENAME COLUMN name TO full_name',
        messages: [
          'The down changes column users.name, which the up removed and the down does not re-create first: the down fails.',
        ],
      },
    ],
  },
};

/** After `ALTER TABLE a RENAME TO b`, what was known of a's columns is known of b's. */
function moveColumns(keys: Set<string>, { from, to }: { from: string; to: string }): void {
  for (const key of [...keys]) {
    if (key.startsWith(`column:${from}.`)) {
      keys.delete(key);
      keys.add(`column:${to}.${key.slice(`column:${from}.`.length)}`);
    }
  }
}

function describe(key: string): string {
  return key.replace(':', ' ');
}

function missing(statement: ParsedStatement, key: string): RuleViolation {
  return {
    statement,
    object: key.slice(key.indexOf(':') + 1),
    message: `The down changes ${describe(key)}, which the up removed and the down does not re-create first: the down fails.`,
    fix: `Re-create ${describe(key)} earlier in the down, or change the down to act on what the up left behind.`,
  };
}

function notCreated(statement: ParsedStatement, key: string): RuleViolation {
  return {
    statement,
    object: key.slice(key.indexOf(':') + 1),
    message: `The down drops ${describe(key)}, which the up did not create: the down fails if it is missing, or destroys what existed before the up.`,
    fix: 'Make the down drop only what the up created (check the name), or add IF EXISTS when the object really may be absent.',
  };
}
