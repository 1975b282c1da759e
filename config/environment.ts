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
  };
}
