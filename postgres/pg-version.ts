/** A PostgreSQL server version as the review needs it: rules depend on major and sometimes minor. */
export interface PgVersion {
  major: number;
  minor: number;
}

/** The version we assume when the target is unknown: the one the embedded stack runs. */
export const DEFAULT_PG_VERSION: PgVersion = { major: 18, minor: 0 };

/** Accepts `16`, `14.2`, or `server_version` output such as `16.4 (Debian 16.4-1)`. */
export function parsePgVersion(text: string): PgVersion {
  const match = /^\s*(\d+)(?:\.(\d+))?/.exec(text);
  const major = match ? Number(match[1]) : NaN;
  if (!match || major < 9) {
    throw new Error(
      `"${text}" is not a PostgreSQL version: give the server's version, e.g. --pg-version 16 or --pg-version 14.2.`,
    );
  }
  return { major, minor: match[2] ? Number(match[2]) : 0 };
}

export function formatPgVersion(version: PgVersion): string {
  return `${version.major}.${version.minor}`;
}
