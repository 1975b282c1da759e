import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { searchAttributes } from '../workflows/search-attributes';
import { ManagedChild, startChild } from './child-process';
import { requireFreePort } from './ports';
import { StopWaiting, waitFor } from './wait';

export interface TemporalDevServerOptions {
  cliPath: string;
  port: number;
  /** Omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; omit for an in-memory server. */
  dbFile?: string;
  namespace: string;
  logFile: string;
  startTimeoutMs?: number;
}

export interface RunningTemporal {
  address: string;
  namespace: string;
  uiUrl?: string;
  child: ManagedChild;
  stop(): Promise<void>;
}

const cliTypeNames: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

function searchAttributeFlags(keys: SearchAttributeKey<SearchAttributeType>[]): string[] {
  return keys.flatMap((key) => ['--search-attribute', `${key.name}=${cliTypeNames[key.type]}`]);
}

/** Answers once the frontend serves the namespace: the moment a client or worker can use it. */
export async function temporalReady(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}

/**
 * Starts the dev server. It exits during startup now and then (a panic in its server setup, seen once
 * in a few hundred starts on this machine); one more try then, before giving up with its log.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<RunningTemporal> {
  try {
    return await startTemporalDevServerOnce(options);
  } catch (error) {
    if (!(error instanceof StopWaiting)) throw error;
    process.stderr.write(`${error.message.split('\n')[0]}; starting it once more\n`);
    return startTemporalDevServerOnce(options);
  }
}

async function startTemporalDevServerOnce(options: TemporalDevServerOptions): Promise<RunningTemporal> {
  const hint =
    'Stop whatever holds it, or choose other ports with SCHEMAWRIGHT_TEMPORAL_PORT / SCHEMAWRIGHT_TEMPORAL_UI_PORT, or set TEMPORAL_ADDRESS to use a server you already run.';
  await requireFreePort(options.port, 'the Temporal frontend (gRPC)', hint);
  if (options.uiPort !== undefined) await requireFreePort(options.uiPort, 'the Temporal web UI', hint);

  mkdirSync(dirname(options.logFile), { recursive: true });
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  args.push('--namespace', options.namespace);
  if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  args.push(...searchAttributeFlags(searchAttributes));

  // Detached: a Ctrl-C in the terminal reaches schemawright, which then stops its children in order.
  const child = startChild('temporal', options.cliPath, args, options.logFile, { detached: true });
  const address = `127.0.0.1:${options.port}`;
  let exitedEarly = false;
  void child.exited.then(() => {
    exitedEarly = true;
  });
  try {
    await waitFor(
      `the Temporal dev server at ${address}`,
      async () => {
        if (exitedEarly) throw new StopWaiting(`the Temporal dev server exited during startup:\n${child.logTail()}`);
        return (await temporalReady(address, options.namespace)) || undefined;
      },
      { timeoutMs: options.startTimeoutMs ?? 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await child.stop();
    const stopped =
      error instanceof StopWaiting
        ? error
        : new Error(`${(error as Error).message}\nServer log (${options.logFile}):\n${child.logTail()}`);
    throw stopped;
  }
  return {
    address,
    namespace: options.namespace,
    uiUrl: options.uiPort !== undefined ? `http://127.0.0.1:${options.uiPort}` : undefined,
    child,
    stop: () => child.stop(),
  };
}

/** For a server schemawright did not start: register any of its search attributes that are missing. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = searchAttributes.filter((key) => !known.has(key.name));
  if (missing.length === 0) return;
  const { temporal } = await import('@temporalio/proto');
  const indexed = temporal.api.enums.v1.IndexedValueType;
  const typeOf: Record<SearchAttributeType, number> = {
    TEXT: indexed.INDEXED_VALUE_TYPE_TEXT,
    KEYWORD: indexed.INDEXED_VALUE_TYPE_KEYWORD,
    INT: indexed.INDEXED_VALUE_TYPE_INT,
    DOUBLE: indexed.INDEXED_VALUE_TYPE_DOUBLE,
    BOOL: indexed.INDEXED_VALUE_TYPE_BOOL,
    DATETIME: indexed.INDEXED_VALUE_TYPE_DATETIME,
    KEYWORD_LIST: indexed.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  };
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, typeOf[key.type]])),
  });
}
