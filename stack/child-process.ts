import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync } from 'node:fs';

/** A long-running child whose output goes to a log file, so a failed start can show why. */
export interface ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Resolves when the child has exited. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM by default), then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number, signal?: NodeJS.Signals): Promise<void>;
  logTail(lines?: number): string;
  /** What this child wrote, without what earlier runs left in the same log file. */
  ownOutput(): string;
}

export function startChild(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  options: SpawnOptions = {},
): ManagedChild {
  const fd = openSync(logFile, 'a');
  const offset = fstatSync(fd).size;
  const child = spawn(command, args, { ...options, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit(code ?? (signal ? 128 : null)));
    child.once('error', (error) => {
      // A command that could not run at all (missing, not executable for this account) says so in its log.
      appendFileSync(logFile, `could not run ${command}: ${error.message}\n`);
      resolveExit(-1);
    });
  });
  const logTail = (lines = 20) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const ownOutput = () => {
    try {
      return readFileSync(logFile).subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  };
  const stop = async (timeoutMs = 10_000, first: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // A detached child leads its own process group: signal the group so its own children stop too.
    const signal = (name: NodeJS.Signals) => {
      try {
        if (options.detached && child.pid) process.kill(-child.pid, name);
        else child.kill(name);
      } catch {
        // already gone
      }
    };
    signal(first);
    const killer = setTimeout(() => signal('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(killer);
  };
  return { name, process: child, logFile, exited, stop, logTail, ownOutput };
}
