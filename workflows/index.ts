// The workflow bundle's entry point: every workflow the worker runs is exported here.
export { stackCheck } from './stack-check';
export { designRequest } from './design-request';
export { auditAnchor } from './audit-anchor';
export { rollout, rolloutTarget } from './rollout';
