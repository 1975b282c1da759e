import { Client } from 'pg';
import { ConfigError } from './environment';
import { serverVariable, targetProblem } from './targets';

/**
 * Target groups: what a rollout changes. The approval policy names them under `groups`; each is a
 * list of stages (environments, promoted in the order written), and each stage either lists its
 * targets or matches the databases of a server with a LIKE pattern (`tenant_%`). A pattern is
 * resolved when a rollout starts, and the list it gave is what the rollout records and changes:
 * a database created later is not in it.
 *
 * A pattern's server is the store's (its targets are then plain database names, which activities
 * resolve like any target on the store's server), or the server of `SCHEMAWRIGHT_SERVER_<NAME>_URL`
 * (its targets are then named `<name>/<database>`, which config/targets.ts resolves through that
 * variable where activities run). Credentials never travel with a rollout, only these names.
 */
export interface TargetGroup {
  name: string;
  stages: GroupStage[];
}

export interface GroupStage {
  environment: string;
  /** Explicit targets, or a pattern over a server's databases: one of the two. */
  targets?: string[];
  pattern?: string;
  /** A server variable's name (`tenants` for SCHEMAWRIGHT_SERVER_TENANTS_URL); absent: the store's server. */
  server?: string;
  /** Wave sizes: a count, a percentage of the stage (`20%`), or `rest`; default canary, 20%, rest. */
  waves: WaveSize[];
  /** Failed targets a wave tolerates before it stops and asks; default 0 (the first failure stops it). */
  maxFailures: number;
  /** Seconds between one wave's end and the next's start; default 0. */
  pauseSeconds: number;
}

export type WaveSize = { count: number } | { percent: number } | 'rest';

export const DEFAULT_WAVES: WaveSize[] = [{ count: 1 }, { percent: 20 }, 'rest'];

const STAGE_KEYS = ['environment', 'targets', 'pattern', 'server', 'waves', 'max_failures', 'pause_seconds'];
const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;
const MAINTENANCE_DATABASES = ['postgres', 'template0', 'template1'];

/** Parses the policy's `groups`; every problem goes to `problem` with its path, so all are reported at once. */
export function parseGroups(
  raw: unknown,
  problem: (path: (string | number)[], message: string) => void,
): TargetGroup[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) {
    problem(
      ['groups'],
      'groups maps a group name to its stages: `groups: { tenants: [{ environment: production, pattern: "tenant_%" }] }`',
    );
    return [];
  }
  const groups: TargetGroup[] = [];
  for (const [name, stages] of Object.entries(raw)) {
    const path = ['groups', name];
    if (!NAME.test(name)) problem(path, `group name '${name}' must be letters, digits, _, . and -`);
    if (!Array.isArray(stages) || !stages.length) {
      problem(
        path,
        'a group is a list of stages, each `{ environment: ..., targets: [...] }` or `{ environment: ..., pattern: "tenant_%" }`',
      );
      continue;
    }
    const parsed = stages.map((stage, index) => parseStage(stage, [...path, index], problem));
    const environments = parsed.map((stage) => stage?.environment);
    environments.forEach((environment, index) => {
      if (environment && environments.indexOf(environment) !== index)
        problem(
          [...path, index, 'environment'],
          `environment '${environment}' is a stage of ${name} twice: merge the two stages`,
        );
    });
    if (parsed.every((stage): stage is GroupStage => stage !== undefined)) groups.push({ name, stages: parsed });
  }
  return groups;
}

function parseStage(
  raw: unknown,
  path: (string | number)[],
  problem: (path: (string | number)[], message: string) => void,
): GroupStage | undefined {
  if (!isRecord(raw)) {
    problem(path, 'a stage is a mapping: `{ environment: production, pattern: "tenant_%", waves: [1, 20%, rest] }`');
    return undefined;
  }
  let wrong = false;
  const report = (at: (string | number)[], message: string) => {
    wrong = true;
    problem(at, message);
  };
  for (const key of Object.keys(raw))
    if (!STAGE_KEYS.includes(key))
      report([...path, key], `unknown key '${key}'; expected one of: ${STAGE_KEYS.join(', ')}`);
  if (typeof raw.environment !== 'string' || !NAME.test(raw.environment))
    report(
      [...path, 'environment'],
      'each stage names its environment (letters, digits, _, . and -), like `environment: staging`',
    );
  const hasTargets = raw.targets !== undefined;
  const hasPattern = raw.pattern !== undefined;
  if (hasTargets === hasPattern)
    report(
      path,
      'a stage has either `targets: [a, b]` or `pattern: "tenant_%"` (a LIKE pattern over a server\'s databases), not both or neither',
    );
  if (
    hasTargets &&
    (!Array.isArray(raw.targets) || !raw.targets.length || raw.targets.some((t) => typeof t !== 'string' || !t.trim()))
  )
    report([...path, 'targets'], 'targets is a list of target names, like [shop_eu, shop_us]');
  if (hasPattern && (typeof raw.pattern !== 'string' || !raw.pattern.trim()))
    report([...path, 'pattern'], 'pattern is a LIKE pattern over database names, like "tenant_%"');
  if (raw.server !== undefined && (!hasPattern || typeof raw.server !== 'string' || !NAME.test(raw.server)))
    report(
      [...path, 'server'],
      `server goes with a pattern and names a server variable: \`server: tenants\` reads ${serverVariable('tenants')}`,
    );
  const waves = raw.waves === undefined ? DEFAULT_WAVES : parseWaves(raw.waves);
  if (!waves)
    report(
      [...path, 'waves'],
      'waves is a list of sizes: a count (1), a percentage of the stage ("20%") or rest, like [1, "20%", rest]',
    );
  const maxFailures = raw.max_failures ?? 0;
  if (!Number.isInteger(maxFailures) || (maxFailures as number) < 0)
    report([...path, 'max_failures'], `max_failures is a whole number, 0 or more (got ${String(raw.max_failures)})`);
  const pauseSeconds = raw.pause_seconds ?? 0;
  if (typeof pauseSeconds !== 'number' || pauseSeconds < 0)
    report(
      [...path, 'pause_seconds'],
      `pause_seconds is a number of seconds, 0 or more (got ${String(raw.pause_seconds)})`,
    );
  if (wrong) return undefined;
  return {
    environment: raw.environment as string,
    ...(hasTargets
      ? { targets: (raw.targets as string[]).map((t) => t.trim()) }
      : { pattern: (raw.pattern as string).trim() }),
    ...(raw.server !== undefined ? { server: raw.server as string } : {}),
    waves: waves!,
    maxFailures: maxFailures as number,
    pauseSeconds: pauseSeconds as number,
  };
}

function parseWaves(raw: unknown): WaveSize[] | undefined {
  if (!Array.isArray(raw) || !raw.length) return undefined;
  const waves: WaveSize[] = [];
  for (const [index, size] of raw.entries()) {
    if (size === 'rest' && index === raw.length - 1) waves.push('rest');
    else if (Number.isInteger(size) && (size as number) > 0) waves.push({ count: size as number });
    else if (
      typeof size === 'string' &&
      /^\d{1,3}%$/.test(size) &&
      Number(size.slice(0, -1)) > 0 &&
      Number(size.slice(0, -1)) <= 100
    )
      waves.push({ percent: Number(size.slice(0, -1)) });
    else return undefined;
  }
  return waves;
}

/** A stage's targets split into waves in order; whatever the sizes leave goes into a last wave. */
export function wavesOf(targets: readonly string[], sizes: readonly WaveSize[]): string[][] {
  const waves: string[][] = [];
  let next = 0;
  for (const size of sizes) {
    if (next >= targets.length) break;
    const count =
      size === 'rest'
        ? targets.length - next
        : 'count' in size
          ? size.count
          : Math.max(1, Math.ceil((targets.length * size.percent) / 100));
    waves.push(targets.slice(next, next + count));
    next += count;
  }
  if (next < targets.length) waves.push(targets.slice(next));
  return waves;
}

export interface ResolvedStage {
  environment: string;
  targets: string[];
  waves: string[][];
  maxFailures: number;
  pauseSeconds: number;
}

/**
 * A group's stages with their targets, as a rollout records them at kickoff. `store` reads the
 * store's server (any database on it lists them all); `storeDatabase` is never a target, nor are
 * the maintenance databases or templates. Throws a ConfigError that says what to fix.
 */
export async function resolveGroup(
  group: TargetGroup,
  server: { listDatabases(pattern: string): Promise<string[]>; storeDatabase: string },
  policyTargets: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedStage[]> {
  const seen = new Map<string, string>();
  const stages: ResolvedStage[] = [];
  for (const stage of group.stages) {
    let targets: string[];
    if (stage.targets) {
      const problems = stage.targets
        .map((name) => targetProblem(name, [...policyTargets, ...stage.targets!], server.storeDatabase, env))
        .filter((p): p is string => p !== undefined);
      if (problems.length)
        throw new ConfigError(`group ${group.name}, stage ${stage.environment}: ${problems.join('; ')}`);
      targets = stage.targets;
    } else {
      const names = stage.server
        ? await listDatabasesAt(serverUrl(stage.server, env), stage.pattern!)
        : await server.listDatabases(stage.pattern!);
      const own = stage.server ? [] : [server.storeDatabase];
      targets = names
        .filter((name) => !MAINTENANCE_DATABASES.includes(name) && !own.includes(name))
        .map((name) => (stage.server ? `${stage.server}/${name}` : name));
      if (!targets.length)
        throw new ConfigError(
          `group ${group.name}, stage ${stage.environment}: no database on ${stage.server ? `the server of ${serverVariable(stage.server)}` : "the store's server"} matches '${stage.pattern}' (the store's own and the maintenance databases never do): create them, or fix the pattern`,
        );
    }
    for (const target of targets) {
      const other = seen.get(target);
      if (other)
        throw new ConfigError(
          `group ${group.name}: target ${target} is in stage ${other} and in stage ${stage.environment}: a target belongs to one stage`,
        );
      seen.set(target, stage.environment);
    }
    stages.push({
      environment: stage.environment,
      targets,
      waves: wavesOf(targets, stage.waves),
      maxFailures: stage.maxFailures,
      pauseSeconds: stage.pauseSeconds,
    });
  }
  return stages;
}

/** The databases a connection's server holds that match `pattern`, in name order; templates and closed ones left out. */
export async function listDatabases(
  query: (sql: string, values: unknown[]) => Promise<{ rows: { datname: string }[] }>,
  pattern: string,
): Promise<string[]> {
  const { rows } = await query(
    `SELECT datname FROM pg_database WHERE datname LIKE $1 AND NOT datistemplate AND datallowconn ORDER BY datname COLLATE "C"`,
    [pattern],
  );
  return rows.map((row) => row.datname);
}

function serverUrl(server: string, env: NodeJS.ProcessEnv): string {
  const url = env[serverVariable(server)];
  if (!url)
    throw new ConfigError(
      `the group's server '${server}' has no connection: set ${serverVariable(server)}=postgres://user:password@host:port/postgres where rollouts are started and where the workers run`,
    );
  return url;
}

async function listDatabasesAt(url: string, pattern: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await listDatabases((sql, values) => client.query(sql, values), pattern);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
