import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Finding, Severity } from '../../../artifacts/findings';
import { formatPgVersion, type PgVersion } from '../../../postgres/pg-version';

/**
 * squawk's native binary from squawk-cli's platform package, run directly: squawk-cli's own `bin` is a
 * Node script that starts it, which would cost a second Node start on every review.
 */
export const SQUAWK_BIN = squawkBinary();

function squawkBinary(): string {
  const platformPackage = `@squawk-cli/${process.platform}-${process.arch}`;
  try {
    return require.resolve(`${platformPackage}/bin/${process.platform === 'win32' ? 'squawk.exe' : 'squawk'}`);
  } catch {
    // squawk-cli's launcher says what is missing (an unsupported platform, or optional dependencies skipped).
    return path.join(path.dirname(require.resolve('squawk-cli/package.json')), 'js', 'bin', 'squawk');
  }
}

/**
 * Rules we switch off. The runner sets lock_timeout and statement_timeout itself on every
 * connection before each step, so squawk's "missing `set lock_timeout` / `set statement_timeout`"
 * would fire on nearly every statement and bury the findings that matter.
 */
export const EXCLUDED_SQUAWK_RULES = ['require-lock-timeout', 'require-statement-timeout', 'require-timeout-settings'];

interface SquawkViolation {
  file: string;
  line: number;
  column: number;
  level: string;
  message: string;
  help: string | null;
  rule_name: string;
}

/**
 * The flags that make squawk judge SQL the way schemawright will run it on this server. They take
 * the place of the same settings in a `.squawk.toml` that squawk finds from the working directory,
 * so the review does not depend on where it runs.
 */
export function squawkArguments(pgVersion: PgVersion, assumeInTransaction = true): string[] {
  return [
    '--reporter=json',
    `--pg-version=${formatPgVersion(pgVersion)}`,
    `--exclude=${EXCLUDED_SQUAWK_RULES.join(',')}`,
    // Raw files: the runner wraps each group of transactional steps in a transaction, as diesel and
    // Flyway do. Files as run (lint/as-run.ts) carry the runner's BEGIN and COMMIT themselves.
    ...(assumeInTransaction ? ['--assume-in-transaction'] : []),
  ];
}

/** A file for squawk; `locate` maps squawk's 1-based position back into the file as written. */
export interface SquawkInput {
  path: string;
  sql: string;
  locate?: (line: number, column: number) => { line: number; column: number };
}

/**
 * Runs squawk (its own rules, unchanged) over files of SQL in one process, as a CI job would, and
 * returns each file's violations as findings, in the order of `files`.
 */
export async function runSquawk(
  files: SquawkInput[],
  pgVersion: PgVersion,
  assumeInTransaction = true,
): Promise<Finding[][]> {
  if (files.length === 0) return [];
  const dir = mkdtempSync(path.join(tmpdir(), 'schemawright-squawk-'));
  try {
    const paths = files.map((file, index) => {
      const written = path.join(dir, `${index}.sql`);
      writeFileSync(written, file.sql);
      return written;
    });
    const { stdout, stderr, code } = await run(SQUAWK_BIN, [
      ...squawkArguments(pgVersion, assumeInTransaction),
      ...paths,
    ]);
    let violations: SquawkViolation[];
    try {
      violations = JSON.parse(stdout) as SquawkViolation[];
    } catch {
      throw new Error(
        `squawk (${SQUAWK_BIN}) exited with ${code} without a JSON report: ${stderr.trim() || stdout.trim()}. Check that squawk-cli is installed (npm ci).`,
      );
    }
    const byFile: Finding[][] = files.map(() => []);
    for (const violation of violations) {
      const index = paths.indexOf(violation.file);
      if (index === -1)
        throw new Error(
          `squawk reported on ${violation.file}, which it was not given: report this as a schemawright bug.`,
        );
      byFile[index]!.push(toFinding(violation, files[index]!));
    }
    return byFile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toFinding(violation: SquawkViolation, { path: file, locate }: SquawkInput): Finding {
  // PostgreSQL's parser already accepted this SQL, so squawk's own parser is the one that fell short.
  const unparsed = violation.rule_name === 'syntax-error';
  const severity: Severity = unparsed ? 'info' : violation.level === 'Error' ? 'error' : 'warning';
  return {
    id: violation.rule_name,
    source: 'squawk',
    severity,
    message: unparsed
      ? `squawk could not parse this statement (${violation.message}); its rules did not check it.`
      : violation.message,
    why: unparsed
      ? 'PostgreSQL parses it; squawk has its own parser, which lacks some syntax.'
      : `squawk rule ${violation.rule_name}: https://squawkhq.com/docs/${violation.rule_name}`,
    fix: violation.help ?? undefined,
    // squawk counts lines and columns from 0.
    location: { file, ...(locate ?? ((line, column) => ({ line, column })))(violation.line + 1, violation.column + 1) },
  };
}

function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) =>
      reject(new Error(`Cannot run squawk at ${command}: ${error.message}. Install squawk-cli (npm ci).`)),
    );
    child.on('close', (code) =>
      resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code }),
    );
  });
}
