import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../stack/ports';
import { waitFor } from '../../stack/wait';
import { testStack } from './stack';

const ROOT = join(__dirname, '..', '..');

/** The ports of one `npm start`: each its own, never a default one. */
export interface StackPorts {
  temporal: number;
  ui: number;
  postgres: number;
  mail: number;
  web: number;
  metrics: number;
}

export async function pickStackPorts(): Promise<StackPorts> {
  return {
    temporal: await freePort(),
    ui: await freePort(),
    postgres: await freePort(),
    web: await freePort(),
    mail: await freePort(),
    metrics: await freePort(),
  };
}

export interface StartedStack {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** `npm start` as a user runs it (the compiled CLI), in its own home and ports, capturing what it prints. */
export function startStack(home: string, ports: StackPorts): StartedStack {
  const child = spawn(process.execPath, ['cli/bin.js', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SCHEMAWRIGHT_HOME: home,
      TEMPORAL_CLI_PATH: testStack().temporalCliPath,
      SCHEMAWRIGHT_TEMPORAL_PORT: String(ports.temporal),
      SCHEMAWRIGHT_TEMPORAL_UI_PORT: String(ports.ui),
      SCHEMAWRIGHT_POSTGRES_PORT: String(ports.postgres),
      SCHEMAWRIGHT_WEB_PORT: String(ports.web),
      SCHEMAWRIGHT_MAIL_CAPTURE_PORT: String(ports.mail),
      SCHEMAWRIGHT_WORKER_METRICS_PORT: String(ports.metrics),
      TEMPORAL_ADDRESS: '',
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { child, output, exited };
}

/** Waits until the stack says it is running; fails with what it printed if it exits first. */
export async function untilRunning({ child, output }: StartedStack, what: string, timeoutMs: number): Promise<void> {
  await waitFor(
    what,
    () => {
      if (child.exitCode !== null) throw new Error(`start exited early:\n${output.stdout}\n${output.stderr}`);
      return output.stdout.includes('schemawright is running.') || undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
