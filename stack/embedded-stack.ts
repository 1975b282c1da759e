import { chmodSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { forgetRunningStack, readEnvironment, rememberRunningStack, type Environment } from '../config/environment';
import { readOrCreateOwnerOnlyFile } from '../config/owner-only-file';
import { auditKeyFrom } from '../store/audit-key';
import { targetVariable } from '../config/targets';
import { ensureDatabase } from '../store/database';
import { setupStore } from '../store/least-privilege';
import { ManagedChild, startChild } from './child-process';
import { superviseChild } from './supervisor';
import { reachableDataDir, startEmbeddedPostgres, type RunningPostgres } from './postgres';
import { requireFreePort } from './ports';
import { locateTemporalCli } from './temporal-cli';
import { ensureSearchAttributes, startTemporalDevServer, type RunningTemporal } from './temporal-server';
import { connectClient } from './temporal-connection';
import { runStackCheck } from './stack-check';
import { ensureTargetRoles, targetRolePasswords, type TargetRoleUrls } from './target-roles';
import { StopWaiting, waitFor } from './wait';
import { WORKER_NODE_FLAGS, workerEnvironment } from '../workers/worker-memory';

const STORE_DATABASE = 'schemawright';
/** Where npm start's worker serves /metrics and /healthz unless SCHEMAWRIGHT_WORKER_METRICS_PORT says. */
const DEFAULT_WORKER_METRICS_PORT = 9464;
const EXAMPLE_TARGET = 'shop';
const CLI = require.resolve('../cli/schemawright');
/** Tests run the stack from source, under tsx; `npm start` runs the compiled CLI in dist/. */
const FROM_SOURCE = CLI.endsWith('.ts');

/** The application role's password in the embedded default, generated once and kept owner-only. */
function appPasswordFor(home: string): string {
  return readOrCreateOwnerOnlyFile(join(home, 'store-app-password'), () =>
    randomBytes(24).toString('base64url'),
  ).trim();
}

interface Started {
  stop(): Promise<void>;
}

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** Runs `schemawright <command>` as a child with the stack's addresses in its environment. */
function startSchemawrightChild(command: 'worker' | 'web', env: NodeJS.ProcessEnv, logFile: string): ManagedChild {
  // From source, tsx as a loader (its CLI's wrapper process escalates signals to SIGKILL), found from the checkout.
  const worker = command === 'worker';
  return startChild(
    command,
    process.execPath,
    [...(FROM_SOURCE ? ['--import', 'tsx'] : []), ...(worker ? WORKER_NODE_FLAGS : []), CLI, command],
    logFile,
    {
      env: worker ? workerEnvironment(env) : env,
      detached: true,
      cwd: FROM_SOURCE ? join(__dirname, '..') : process.cwd(),
    },
  );
}

/**
 * The superuser's password in a libpq password file (owner-only), so that the psql line printed at
 * start, which lands in terminals and CI logs, names the file and not the password.
 */
function writePassFile(home: string, adminUrl: string): string {
  const url = new URL(adminUrl);
  const escape = (value: string) => value.replace(/[\\:]/g, (c) => `\\${c}`);
  const file = join(home, 'pgpass');
  writeFileSync(
    file,
    `${url.hostname}:${url.port}:*:${escape(decodeURIComponent(url.username))}:${escape(decodeURIComponent(url.password))}\n`,
    { mode: 0o600 },
  );
  chmodSync(file, 0o600);
  return file;
}

function psqlCommand(passFile: string, port: number, database: string): string {
  const quoted = /^[\w@%+=:,./-]+$/.test(passFile) ? passFile : `'${passFile.replace(/'/g, `'\\''`)}'`;
  return `PGPASSFILE=${quoted} psql -h 127.0.0.1 -p ${port} -U postgres -d ${database}`;
}

async function waitForChildLine(child: ManagedChild, pattern: RegExp, what: string): Promise<void> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  await waitFor(
    what,
    () => {
      if (exited) throw new StopWaiting(`${child.name} exited during startup:\n${child.logTail()}`);
      return pattern.test(child.ownOutput()) || undefined;
    },
    { timeoutMs: 120_000, intervalMs: 200 },
  );
}

/**
 * `npm start`: the embedded default. Starts what is missing (Temporal dev server unless
 * TEMPORAL_ADDRESS, PostgreSQL unless DATABASE_URL), then a worker and the web server as children,
 * proves the whole chain with a stack check, and stops everything in reverse order on Ctrl-C.
 */
export async function startEmbeddedStack(env: Environment = readEnvironment()): Promise<void> {
  const started: Started[] = [];
  const logs = join(env.home, 'logs');
  // Only the start that wrote it may remove it: a start refused for a busy port leaves the running one's.
  let remembered = false;
  const stopAll = async () => {
    if (remembered) forgetRunningStack(env.home);
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
  };
  let stopping: Promise<void> | undefined;
  let signalled!: () => void;
  const stopAsked = new Promise<string>((resolve) => (signalled = () => resolve('')));
  const onSignal = () => {
    if (stopping) return;
    signalled();
    say('\nstopping schemawright...');
    stopping = stopAll().then(() => say('stopped.'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // Check every port first so a conflict is reported before anything starts.
    if (!env.temporal.address) {
      const hint =
        'Stop whatever holds it, choose other ports with SCHEMAWRIGHT_TEMPORAL_PORT / SCHEMAWRIGHT_TEMPORAL_UI_PORT, or set TEMPORAL_ADDRESS to use a server you already run.';
      await requireFreePort(env.temporal.port, 'the Temporal frontend (gRPC)', hint);
      await requireFreePort(env.temporal.uiPort, 'the Temporal web UI', hint);
    }
    await requireFreePort(
      env.web.port,
      'the approvals web server',
      'Stop whatever holds it, or choose another with SCHEMAWRIGHT_WEB_PORT.',
    );
    const workerMetricsPort = env.metrics.workerPort ?? DEFAULT_WORKER_METRICS_PORT;
    await requireFreePort(
      workerMetricsPort,
      "the worker's metrics",
      'Stop whatever holds it, or choose another with SCHEMAWRIGHT_WORKER_METRICS_PORT.',
    );

    let temporal: RunningTemporal | undefined;
    if (env.temporal.address) {
      say(`Temporal:   using ${env.temporal.address} (TEMPORAL_ADDRESS)`);
      const { connection } = await connectClient(env);
      await ensureSearchAttributes(connection, env.temporal.namespace).finally(() => connection.close());
    } else {
      const cli = await locateTemporalCli();
      say(`Temporal:   starting the dev server (${cli.path}, state in ${join(env.home, 'temporal.db')})`);
      temporal = await startTemporalDevServer({
        cliPath: cli.path,
        port: env.temporal.port,
        uiPort: env.temporal.uiPort,
        dbFile: join(env.home, 'temporal.db'),
        namespace: env.temporal.namespace,
        logFile: join(logs, 'temporal.log'),
      });
      started.push(temporal);
    }

    let postgres: RunningPostgres | undefined;
    let targetRoles: TargetRoleUrls | undefined;
    let storeUrl = env.postgres.databaseUrl;
    if (storeUrl) {
      say('PostgreSQL: using DATABASE_URL for the project store');
    } else {
      const dataDir = reachableDataDir(join(env.home, 'postgres'));
      say(`PostgreSQL: starting the embedded server (data in ${dataDir})`);
      postgres = await startEmbeddedPostgres({
        dataDir,
        port: env.postgres.port,
        persistent: true,
        logFile: join(logs, 'postgres.log'),
      });
      started.push(postgres);
      // The superuser sets the store up; workers, the web server and the CLI connect as the application role.
      const store = await setupStore(await ensureDatabase(postgres.adminUrl, STORE_DATABASE), appPasswordFor(env.home));
      storeUrl = store.appUrl;
      // An empty target to try requests on, as the README's first steps do, with its reader and
      // applier: only this setup connects to it as the superuser.
      await ensureDatabase(postgres.adminUrl, EXAMPLE_TARGET);
      targetRoles = await ensureTargetRoles(
        postgres.adminUrl,
        EXAMPLE_TARGET,
        targetRolePasswords(join(env.home, 'target-roles')),
      );
    }
    if (stopping) return;
    const auditKey = auditKeyFrom(env);

    const address = temporal?.address ?? env.temporal.address!;
    const uiUrl = temporal?.uiUrl ?? env.temporal.uiUrl;
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      DATABASE_URL: storeUrl,
      // The same home, so the children sign audit checkpoints with the key printed below.
      SCHEMAWRIGHT_HOME: env.home,
      // All on this host: the children share the token key in the home and the local mail capture.
      SCHEMAWRIGHT_SUPERVISED: '1',
      SCHEMAWRIGHT_WORKER_METRICS_PORT: String(workerMetricsPort),
      ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
      ...shopVariables(targetRoles),
    };
    // Supervised: a worker or web server that dies is restarted; the stack stops only when restarts keep failing.
    const supervise = (command: 'worker' | 'web', ready: RegExp, what: string) =>
      superviseChild({
        start: () => startSchemawrightChild(command, childEnv, join(logs, `${command}.log`)),
        ready: (child) => waitForChildLine(child, ready, what),
        say,
      });
    const worker = supervise('worker', /worker polling/, 'the worker to start polling');
    started.push(worker);
    const web = supervise('web', /web server listening/, 'the web server to listen');
    started.push(web);
    await Promise.all([worker.started, web.started]);
    if (stopping) return;

    const check = await runStackCheck({ ...env, temporal: { ...env.temporal, address } });
    rememberRunningStack(env.home, {
      temporalAddress: address,
      databaseUrl: storeUrl,
      // The CLI only reads targets: it learns the applier's name from its URL, never its password.
      targets: { [EXAMPLE_TARGET]: shopVariables(targetRoles, { applierPassword: false }) },
    });
    remembered = true;
    const webUrl = `http://${env.web.host}:${env.web.port}`;
    say('');
    say('schemawright is running.');
    say(`  Web (requests, approvals):  ${webUrl}`);
    if (!env.approvals.smtpUrl) say(`  Inbox (captured mail):      ${webUrl}/inbox`);
    if (uiUrl) say(`  Temporal UI (workflows):    ${uiUrl}`);
    say(
      `  Temporal frontend:          ${address} (namespace ${env.temporal.namespace}, task queue ${env.temporal.taskQueue})`,
    );
    say(
      `  Project store:              PostgreSQL ${check.postgresVersion}${postgres ? ` on 127.0.0.1:${postgres.port}` : ' (DATABASE_URL)'}`,
    );
    if (postgres) {
      const passFile = writePassFile(env.home, postgres.adminUrl);
      say(`  psql, the store:            ${psqlCommand(passFile, postgres.port, STORE_DATABASE)}`);
      say(`  psql, the ${EXAMPLE_TARGET} target:      ${psqlCommand(passFile, postgres.port, EXAMPLE_TARGET)}`);
    }
    say(`  Audit key:                  ${auditKey.id} (public key ${auditKey.text}; \`audit verify\` checks with it)`);
    say(`  Metrics (Prometheus):       ${webUrl}/metrics, http://${env.metrics.host}:${workerMetricsPort}/metrics`);
    say(`  Health:                     ${webUrl}/healthz, http://${env.metrics.host}:${workerMetricsPort}/healthz`);
    say(`  Logs (JSON lines):          ${logs}`);
    say(`  Stack check:                passed (workflow ${check.workflowId})`);
    say('');
    say('Next, in another terminal (the CLI finds this stack by itself):');
    say(`  npm run schemawright -- request examples/ecommerce.yaml --target ${EXAMPLE_TARGET} --env dev --as rita`);
    say('  npm run schemawright -- list');
    say('Press Ctrl-C to stop everything.');

    // Stay up until a signal stops us, Temporal dies, or a worker or web server keeps failing to restart.
    const fatal = await Promise.race([
      worker.gaveUp,
      web.gaveUp,
      ...(temporal
        ? [
            temporal.child.exited.then(
              () => `${temporal!.child.name} stopped unexpectedly; its log ends with:\n${temporal!.child.logTail()}`,
            ),
          ]
        : []),
      stopAsked,
    ]);
    if (!stopping) {
      say(fatal);
      onSignal();
      process.exitCode = 1;
    }
    await stopping;
  } catch (error) {
    await stopAll();
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The embedded `shop` through its own roles, unless the user pointed it elsewhere. */
function shopVariables(roles: TargetRoleUrls | undefined, { applierPassword = true } = {}): Record<string, string> {
  if (!roles || process.env[targetVariable(EXAMPLE_TARGET)]) return {};
  const applier = new URL(roles.applierUrl);
  if (!applierPassword) applier.password = '';
  return {
    [targetVariable(EXAMPLE_TARGET)]: applier.toString(),
    [targetVariable(EXAMPLE_TARGET, 'read')]: roles.readerUrl,
  };
}
