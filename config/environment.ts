import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Every setting schemawright reads from the environment, in one place, so the README's
 * configuration table and the code cannot drift apart.
 */
export interface Environment {
  /** Where the embedded default keeps its state (Temporal's SQLite file, PostgreSQL's data). */
  home: string;
  /** Per-user cache of downloaded or built tools (the Temporal CLI). */
  cacheDir: string;
  temporal: {
    /** Set: use this server. Unset: `npm start` runs the dev server itself. */
    address?: string;
    namespace: string;
    taskQueue: string;
    apiKey?: string;
    tls: boolean;
    cliPath?: string;
    /** Shown on the web pages as the place to inspect workflows. */
    uiUrl?: string;
    port: number;
    uiPort: number;
  };
  postgres: {
    /** Set: use this server for the project's store. Unset: embedded PostgreSQL. */
    databaseUrl?: string;
    port: number;
  };
  web: { port: number; host: string };
  /**
   * Prometheus metrics and health checks: the web server serves /metrics and /healthz on its own port; a
   * worker on `workerPort` when set (npm start sets it for its worker: 9464 unless chosen).
   */
  metrics: { workerPort?: number; host: string };
  /** Set by `npm start` for the worker and web server it runs: the embedded default, all on one host. */
  supervised: boolean;
  /**
   * The Ed25519 key that signs checkpoints of the audit chain (store/audit-key.ts); unset: generated once
   * in SCHEMAWRIGHT_HOME. A verifier that should not hold it gets the public half only.
   */
  audit: { key?: string; publicKey?: string };
  /** Where requested SQL is tried before approval: never a target's server nor the store's. */
  shadow: {
    /** Set: a disposable server of yours (its role may create databases and roles). Unset: each worker runs its own. */
    url?: string;
    /** statement_timeout of the sandbox role that runs requested SQL. */
    statementTimeoutSeconds: number;
  };
  /** How long a gate waits before it reminds, re-routes to backups, and expires (hours in production). */
  gates: { remindEverySeconds: number; rerouteAfterSeconds: number; expireAfterSeconds: number };
  /** How people reach requests: policy, email, Slack, the web and API. Secrets stay here, never in logs. */
  approvals: {
    /** The policy YAML; unset: the committed example config/policy.example.yaml. */
    policyPath?: string;
    /** Where links in emails and Slack point (the approvals web server as people reach it). */
    webBaseUrl: string;
    /** smtp://user:pass@host:587 or smtps://...:465; unset: the local capture inbox at /inbox. */
    smtpUrl?: string;
    /** Without SMTP_URL: the port of the local capture inbox that the web server runs. */
    mailCapturePort: number;
    mailFrom: string;
    /** `kid1:secret1,kid0:secret0`: the first signs email links, all verify (rotation). */
    tokenKeys?: string;
    /** `person:token,...` for the JSON API's bearer tokens. */
    apiTokens?: string;
    /** Ed25519 keys that sign decisions: the web server's (email, Slack, API) and the operator's (CLI); unset: generated in `home`. */
    decisionKeys: Record<'channels' | 'operator', { secret?: string; public?: string }>;
    slack: { botToken?: string; signingSecret?: string; appToken?: string; channel?: string };
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ConfigError(`${name}=${raw} is not a port number; use an integer from 1 to 65535 (0 picks a free one).`);
  }
  return value;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `30m`, `4h`, `3d`, or plain seconds. */
function duration(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const raw = env[name] || fallback;
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(raw.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new ConfigError(`${name}=${raw} is not a duration; use a number with s, m, h or d, like 30m or 4h.`);
  }
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Environment {
  const cacheRoot = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return {
    home: resolve(cwd, env.SCHEMAWRIGHT_HOME || '.schemawright'),
    cacheDir: join(cacheRoot, 'schemawright'),
    temporal: {
      address: env.TEMPORAL_ADDRESS || undefined,
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: env.SCHEMAWRIGHT_TASK_QUEUE || 'schemawright',
      apiKey: env.TEMPORAL_API_KEY || undefined,
      tls: env.TEMPORAL_TLS === 'true' || Boolean(env.TEMPORAL_API_KEY),
      cliPath: env.TEMPORAL_CLI_PATH || undefined,
      uiUrl: env.TEMPORAL_UI_URL || undefined,
      port: port(env, 'SCHEMAWRIGHT_TEMPORAL_PORT', 7233),
      uiPort: port(env, 'SCHEMAWRIGHT_TEMPORAL_UI_PORT', 8233),
    },
    postgres: {
      databaseUrl: env.DATABASE_URL || undefined,
      port: port(env, 'SCHEMAWRIGHT_POSTGRES_PORT', 54329),
    },
    web: {
      port: port(env, 'SCHEMAWRIGHT_WEB_PORT', 8080),
      host: env.SCHEMAWRIGHT_WEB_HOST || '127.0.0.1',
    },
    metrics: {
      workerPort: env.SCHEMAWRIGHT_WORKER_METRICS_PORT ? port(env, 'SCHEMAWRIGHT_WORKER_METRICS_PORT', 0) : undefined,
      host: env.SCHEMAWRIGHT_METRICS_HOST || '127.0.0.1',
    },
    supervised: env.SCHEMAWRIGHT_SUPERVISED === '1',
    audit: {
      key: env.SCHEMAWRIGHT_AUDIT_KEY || undefined,
      publicKey: env.SCHEMAWRIGHT_AUDIT_PUBLIC_KEY || undefined,
    },
    shadow: {
      url: env.SCHEMAWRIGHT_SHADOW_URL || undefined,
      statementTimeoutSeconds: duration(env, 'SCHEMAWRIGHT_SHADOW_STATEMENT_TIMEOUT', '60s'),
    },
    gates: {
      remindEverySeconds: duration(env, 'SCHEMAWRIGHT_REMIND_EVERY', '4h'),
      rerouteAfterSeconds: duration(env, 'SCHEMAWRIGHT_REROUTE_AFTER', '24h'),
      expireAfterSeconds: duration(env, 'SCHEMAWRIGHT_EXPIRE_AFTER', '72h'),
    },
    approvals: {
      policyPath: env.SCHEMAWRIGHT_POLICY || undefined,
      webBaseUrl: (
        env.SCHEMAWRIGHT_WEB_URL ||
        `http://${env.SCHEMAWRIGHT_WEB_HOST || '127.0.0.1'}:${port(env, 'SCHEMAWRIGHT_WEB_PORT', 8080)}`
      ).replace(/\/+$/, ''),
      smtpUrl: env.SMTP_URL || undefined,
      mailCapturePort: port(env, 'SCHEMAWRIGHT_MAIL_CAPTURE_PORT', 2525),
      mailFrom: env.SCHEMAWRIGHT_MAIL_FROM || 'schemawright <schemawright@localhost>',
      tokenKeys: env.SCHEMAWRIGHT_TOKEN_KEYS || undefined,
      apiTokens: env.SCHEMAWRIGHT_API_TOKENS || undefined,
      decisionKeys: {
        channels: {
          secret: env.SCHEMAWRIGHT_DECISION_KEY || undefined,
          public: env.SCHEMAWRIGHT_DECISION_PUBLIC_KEY || undefined,
        },
        operator: {
          secret: env.SCHEMAWRIGHT_OPERATOR_KEY || undefined,
          public: env.SCHEMAWRIGHT_OPERATOR_PUBLIC_KEY || undefined,
        },
      },
      slack: {
        botToken: env.SLACK_BOT_TOKEN || undefined,
        signingSecret: env.SLACK_SIGNING_SECRET || undefined,
        appToken: env.SLACK_APP_TOKEN || undefined,
        channel: env.SLACK_CHANNEL || undefined,
      },
    },
  };
}

/** Where `npm start` tells the CLI how to reach the stack it runs (owner-only: it holds the store URL). */
function runningStackFile(home: string): string {
  return join(home, 'running-stack.json');
}

export interface RunningStack {
  temporalAddress: string;
  databaseUrl: string;
  /**
   * Per target `npm start` set up, its variables (`SCHEMAWRIGHT_TARGET_SHOP_READ_URL`, ...): the
   * reader's URL, and the applier's without a password, since the CLI only reads targets and needs no
   * more than the applier's name.
   */
  targets?: Record<string, Record<string, string>>;
}

export function rememberRunningStack(home: string, stack: RunningStack): void {
  const file = runningStackFile(home);
  writeFileSync(file, JSON.stringify(stack), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function forgetRunningStack(home: string): void {
  rmSync(runningStackFile(home), { force: true });
}

function readRunningStack(home: string): RunningStack | undefined {
  const file = runningStackFile(home);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunningStack) : undefined;
}

/**
 * For commands that talk to a running schemawright (request, status, decide, audit, ...): settings
 * from the environment, and what `npm start` left in SCHEMAWRIGHT_HOME for whatever is not set.
 */
export function readClientEnvironment(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Environment {
  const settings = readEnvironment(env, cwd);
  if (settings.temporal.address && settings.postgres.databaseUrl) return settings;
  const running = readRunningStack(settings.home);
  if (!running) return settings;
  return {
    ...settings,
    temporal: { ...settings.temporal, address: settings.temporal.address ?? running.temporalAddress },
    postgres: { ...settings.postgres, databaseUrl: settings.postgres.databaseUrl ?? running.databaseUrl },
  };
}

/**
 * The variables in which the CLI resolves `--target NAME` (analyze, design, plan, review): those set
 * here first, then the targets and the store of the stack `npm start` runs, so that `--target shop`
 * works from any terminal in the checkout.
 */
export function clientTargetVariables(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): NodeJS.ProcessEnv {
  const running = readRunningStack(readEnvironment(env, cwd).home);
  if (!running) return env;
  // A target configured here in part is not mixed with the stack's: its reader and applier go together.
  const untouched = Object.values(running.targets ?? {}).filter((variables) =>
    Object.keys(variables).every((name) => !env[name]),
  );
  return { ...env, ...Object.assign({}, ...untouched), DATABASE_URL: env.DATABASE_URL || running.databaseUrl };
}
