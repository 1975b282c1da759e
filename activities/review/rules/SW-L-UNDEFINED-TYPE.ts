import type { TypeName } from '@pgsql/types';
import { findNodes, names, relationName, statementOf } from '../../../postgres/ast';
import { BUILTIN_TYPES, SERIAL_TYPES } from '../../../postgres/builtin-types';
import type { Catalog } from '../../../postgres/introspection';
import type { ParsedStatement } from '../../../postgres/parse';
import type { LintRule, RuleViolation } from './rule';

/** The type names a statement uses: columns (of tables, composite types, ALTER COLUMN TYPE), casts and domains' base types. */
function typesUsed(statement: ParsedStatement): TypeName[] {
  const used = [
    ...findNodes(statement.node, 'ColumnDef').map((column) => column.typeName),
    ...findNodes(statement.node, 'TypeCast').map((cast) => cast.typeName),
    statementOf(statement, 'CreateDomainStmt')?.typeName,
  ];
  // `col%TYPE` names a column, not a type.
  return used.filter((type): type is TypeName => type !== undefined && !type.pct_type && names(type.names).length > 0);
}

/** The types a statement creates, as written (`s.t` or `t`): every CREATE TYPE form, domains, and tables' and views' row types. */
function typesCreated(statement: ParsedStatement): string[] {
  const range = names(statementOf(statement, 'CreateRangeStmt')?.typeName).join('.');
  const define = statementOf(statement, 'DefineStmt');
  const rename = statementOf(statement, 'RenameStmt');
  return [
    names(statementOf(statement, 'CreateEnumStmt')?.typeName).join('.'),
    relationName(statementOf(statement, 'CompositeTypeStmt')?.typevar),
    names(statementOf(statement, 'CreateDomainStmt')?.domainname).join('.'),
    // A range brings its multirange: `floatrange` → `floatmultirange`, `span` → `span_multirange`.
    range,
    range && (range.includes('range') ? range.replace('range', 'multirange') : `${range}_multirange`),
    define?.kind === 'OBJECT_TYPE' ? names(define.defnames).join('.') : '',
    relationName(statementOf(statement, 'CreateStmt')?.relation),
    relationName(statementOf(statement, 'ViewStmt')?.view),
    relationName(statementOf(statement, 'CreateTableAsStmt')?.into?.rel),
    rename?.renameType === 'OBJECT_TYPE' || rename?.renameType === 'OBJECT_DOMAIN' ? (rename.newname ?? '') : '',
  ].filter((name): name is string => Boolean(name));
}

/** The target's types: its own and its extensions' (catalog.types), and its tables' and views' row types. */
function typesOn(catalog: Catalog): string[] {
  return [...(catalog.types ?? []), ...catalog.tables, ...catalog.views].map((t) => `${t.schema}.${t.name}`);
}

/** True when `name` (as written) is among `known` (qualified): exactly when qualified, in any schema when not. */
function isKnown(name: string, known: Set<string>, knownNames: Set<string>): boolean {
  return name.includes('.') ? known.has(name) : knownNames.has(name);
}

/** The edit distance of two names (`timestampz` is one from `timestamptz`, two from `timestamp`). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** True when every letter of `name` appears in `candidate` in order: a letter left out, not one too many. */
function isDropped(name: string, candidate: string): boolean {
  let at = 0;
  for (const letter of candidate) if (letter === name[at]) at += 1;
  return at === name.length;
}

/**
 * The known name within two edits of `name` and nearest to it, the one the author likely meant; of
 * equals, one `name` left a letter out of (`timestampz` meant `timestamptz`, not `timestamp`).
 */
function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: { name: string; rank: number } | undefined;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - name.length) > 2) continue;
    const d = distance(name, candidate);
    const rank = d * 2 - (isDropped(name, candidate) ? 1 : 0);
    if (d <= 2 && (!best || rank < best.rank)) best = { name: candidate, rank };
  }
  return best?.name;
}

export const undefinedType: LintRule = {
  id: 'SW-L-UNDEFINED-TYPE',
  severity: 'error',
  explanation:
    'A column, cast or domain names a type that is not built in, not created earlier in the migration (or in a file reviewed before it), and not on the target: ' +
    'the statement fails with "type does not exist" and the migration stops there. ' +
    "Judged only when review has the target's catalog (one that lists its types); a type named without its schema counts as known when any schema of the target has it, " +
    'and after a CREATE EXTENSION types are no longer judged, since what the extension brings is not known before it is installed.',
  remedy:
    'Create the type (CREATE TYPE, CREATE DOMAIN, CREATE EXTENSION) before the statement that uses it, or correct its name.',
  check(statements, { catalog, earlier = [] }) {
    // A catalog read before types were listed cannot say what the target has.
    if (!catalog?.types) return [];
    const known = new Set(typesOn(catalog));
    const knownNames = new Set([...known].map((name) => name.slice(name.lastIndexOf('.') + 1)));
    const learn = (statement: ParsedStatement): boolean => {
      for (const name of typesCreated(statement)) {
        known.add(name.includes('.') ? name : `public.${name}`);
        knownNames.add(name.slice(name.lastIndexOf('.') + 1));
      }
      return statementOf(statement, 'CreateExtensionStmt') !== undefined;
    };
    let extension = earlier.map(learn).some(Boolean);
    return statements.flatMap((statement): RuleViolation[] => {
      const violations = extension
        ? []
        : typesUsed(statement).flatMap((type): RuleViolation[] => {
            const parts = names(type.names);
            const [schema] = parts;
            const name = parts.join('.');
            if (parts.length > 1 && (schema === 'pg_catalog' || schema === 'information_schema')) return [];
            if (parts.length === 1 && (BUILTIN_TYPES.has(name) || SERIAL_TYPES.has(name))) return [];
            if (isKnown(name, known, knownNames)) return [];
            const own = parts.at(-1)!;
            const near = nearest(own, [...BUILTIN_TYPES, ...knownNames]);
            return [
              {
                statement,
                object: name,
                message: `Type ${name} does not exist: it is not built in, not created before this statement, and not on the target.`,
                fix: near
                  ? `Did you mean ${near}? Otherwise create ${name} before this statement.`
                  : `Create ${name} (CREATE TYPE, CREATE DOMAIN or the extension that provides it) before this statement, or correct the name.`,
              },
            ];
          });
      if (learn(statement)) extension = true;
      // One finding per type and statement: a type used twice in one CREATE TABLE is one mistake.
      return violations.filter((v, i) => violations.findIndex((w) => w.object === v.object) === i);
    });
  },
  examples: {
    pass: [
      {
        target: "CREATE TYPE mood AS ENUM ('ok'); CREATE DOMAIN email AS text; CREATE TABLE person (id int)",
        sql: "CREATE TABLE note (id bigserial, body text, at timestamptz, m mood[], e public.email, p person, n numeric(10,2), w varchar(20), d double precision, ip inet);\nSELECT '1'::regclass, 'x'::text::mood",
      },
      {
        target: 'CREATE SCHEMA billing',
        sql: "CREATE TYPE billing.state AS ENUM ('open');\nCREATE DOMAIN cents AS bigint CHECK (VALUE >= 0);\nCREATE TYPE span AS RANGE (subtype = int4);\nCREATE TABLE invoice (s billing.state, c cents, r span, rr span_multirange);\nALTER TABLE invoice ALTER COLUMN c TYPE cents",
      },
      { sql: 'CREATE TABLE t (a geometry)' },
      // A catalog stored before catalogs listed types says nothing of them.
      { target: "CREATE TYPE mood AS ENUM ('ok')", sql: 'CREATE TABLE t (m mood)', catalogWithoutTypes: true },
      {
        target: 'CREATE TABLE t (id int)',
        sql: 'CREATE EXTENSION IF NOT EXISTS citext;\nALTER TABLE t ADD COLUMN email citext',
      },
    ],
    fail: [
      {
        target: "CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE person (id int)",
        sql: "CREATE TABLE note (id bigint, at timestampz, m mood);\nALTER TABLE person ADD COLUMN state ticket_state NOT NULL DEFAULT 'open';\nCREATE TYPE ticket_state AS ENUM ('open');\nSELECT 'x'::billing.mood",
        messages: [
          'Type timestampz does not exist: it is not built in, not created before this statement, and not on the target.',
          'Type ticket_state does not exist: it is not built in, not created before this statement, and not on the target.',
          'Type billing.mood does not exist: it is not built in, not created before this statement, and not on the target.',
        ],
      },
    ],
  },
};
