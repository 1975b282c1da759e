export { lockEngine, LOCK_BLOCKING, blockingSeverity, formatSeconds, formatBytes } from './engine';
export { lockImpactOf, lockImpactsOf } from './impacts';
export {
  THROUGHPUT,
  LOCK_MODES,
  blocksOf,
  tableSizesOf,
  resolveSize,
  type Blocks,
  type LockContext,
  type LockImpact,
  type LockMode,
} from './model';
export { stepLocks, totalBlockingSeconds, type StepLocks } from './steps';
