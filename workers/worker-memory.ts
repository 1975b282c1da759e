/**
 * How a worker process is started so that its memory stays small: `npm start` starts its worker so,
 * and so does bench:workflow. Both settings act only when given before node starts, so they are the
 * spawner's to give; a worker started otherwise (systemd, a container) is given the same by hand
 * (README, "Configuration"). Measured in bench:workflow, 100 requests parked on one worker: 364 MB of
 * RSS with none, 336 MB with MALLOC_ARENA_MAX=2, 287 MB adding --max-semi-space-size=2. Past 800
 * parked, the main thread's heap held 213 MB in use without --heap-growing-percent (nor the
 * pg-promise fix in postgres/shadow.ts: the two were not measured apart), 51 to 57 MB with both.
 */

/**
 * V8's young generation, 16 MB per semi-space by default in each isolate (the main thread's and the
 * workflow thread's): 2 MB costs more frequent scavenges of a heap that is mostly long-lived. Its old
 * generation may otherwise grow to four times what is live before a full collection: 1.1 times.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=10'];

/**
 * glibc gives threads that allocate at once arenas of their own (up to eight per core), and keeps
 * what was freed in them: the Rust core's, V8's and libuv's threads. Two arenas: an operator's own
 * MALLOC_ARENA_MAX wins.
 */
export function workerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: '2', ...env };
}
