import type { Severity } from '../../../artifacts/findings';
import type { ParsedStatement } from '../../../postgres/parse';
import type { PgVersion } from '../../../postgres/pg-version';
import type { Catalog } from '../../../postgres/introspection';

/** What a rule may know beyond the statements of the up migration. */
export interface RuleContext {
  pgVersion: PgVersion;
  /** The parsed down migration, when the migration has one. */
  down?: ParsedStatement[];
  /** The up statements of the files reviewed before this one, which run first. */
  earlier?: ParsedStatement[];
  /** The target's catalog, when review has one (`review --target`, a request's review phase). */
  catalog?: Catalog;
}

/** One thing a rule reports: which statement, what goes wrong, and the concrete fix where there is one. */
export interface RuleViolation {
  statement: ParsedStatement;
  message: string;
  fix?: string;
  object?: string;
  /** The facts behind it, as plain JSON (the finding's evidence). */
  evidence?: Record<string, unknown>;
}

export interface RuleExample {
  sql: string;
  down?: string;
  /** e.g. `14.2`; the default is the newest PostgreSQL. */
  pgVersion?: string;
  /** The target's schema: run on PostgreSQL and introspected, its catalog is the rule's. */
  target?: string;
  /** The target's catalog as one stored before catalogs listed their types. */
  catalogWithoutTypes?: boolean;
}

/**
 * One of our lint rules, for what squawk lacks. Each lives in its own file named after its id, with
 * SQL that must pass and SQL that must fail with the exact messages; rules.test.ts runs them all.
 */
export interface LintRule {
  id: string;
  severity: Severity;
  /** Why it matters: shown as the finding's `why`. */
  explanation: string;
  /** What to do about it in general, for docs/rules.md; each violation carries its concrete fix. */
  remedy: string;
  check(statements: ParsedStatement[], context: RuleContext): RuleViolation[];
  examples: {
    pass: RuleExample[];
    fail: (RuleExample & { messages: string[] })[];
  };
}
