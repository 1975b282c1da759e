import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers log every state change at INFO; tests keep WARN and above. The runtime is per process,
// and jest loads this once per test file, so a second install is expected to fail.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by an earlier test file in this process
}
