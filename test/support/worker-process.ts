import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { targetVariable } from '../../config/targets';
import { startChild, type ManagedChild } from '../../stack/child-process';
import { waitFor } from '../../stack/wait';
import { testSigner } from './requests';
import { testStack, uniqueName } from './stack';

const REPO = join(__dirname, '..', '..');
const LOGS = mkdtempSync(join(tmpdir(), 'schemawright-workers-'));

/**
 * `schemawright worker` in a process of its own, for tests that kill or stop it: on the test's
 * Temporal and store, its mail to the test's capture, its links to `webUrl` (a host of the test's
 * own, never a web server a developer runs), and the one target (or what `env` adds).
 */
export function startWorkerProcess(options: {
  namespace: string;
  storeUrl: string;
  taskQueue: string;
  webUrl: string;
  mailPort: number;
  /** The one target a request test uses; a rollout test names its servers in `env` instead. */
  target?: { name: string; url: string };
  env?: Record<string, string>;
}): ManagedChild {
  return startChild(
    'worker',
    process.execPath,
    ['--import', 'tsx', join(REPO, 'cli/schemawright.ts'), 'worker'],
    join(LOGS, `${uniqueName('worker')}.log`),
    {
      cwd: REPO,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: testStack().temporalAddress,
        TEMPORAL_NAMESPACE: options.namespace,
        DATABASE_URL: options.storeUrl,
        SCHEMAWRIGHT_TASK_QUEUE: options.taskQueue,
        SCHEMAWRIGHT_WEB_URL: options.webUrl,
        // A web URL off this host says the worker runs apart from the web server: it needs both (config/split-hosts.ts).
        SMTP_URL: `smtp://127.0.0.1:${options.mailPort}/?ignoreTLS=true`,
        SCHEMAWRIGHT_TOKEN_KEYS: 'workers:0123456789abcdef0123456789abcdef',
        // The worker verifies approvals where it applies with these (the test signer's) and the example policy.
        SCHEMAWRIGHT_DECISION_PUBLIC_KEY: testSigner.publicKeys.web!,
        SCHEMAWRIGHT_OPERATOR_PUBLIC_KEY: testSigner.publicKeys.cli!,
        ...(options.target ? { [targetVariable(options.target.name)]: options.target.url } : {}),
        ...options.env,
      },
    },
  );
}

/** Until the worker polls its task queue (tsx and a workflow bundle: most of a minute on a loaded machine). */
export async function polling(worker: ManagedChild, timeoutMs = 60_000): Promise<void> {
  await waitFor('the worker to poll', () => (worker.logTail(200).includes('worker polling') ? true : undefined), {
    timeoutMs,
  });
}
