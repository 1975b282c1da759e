import { backup } from './backup';
import { caching } from './caching';
import { crossTenantJob } from './cross-tenant-job';
import { hotJoin } from './hot-join';
import { indexPlan } from './index-plan';
import type { ModelingFindingKind } from './kind';
import { partitionPlan } from './partition-plan';
import { replication } from './replication';
import { technologyFit } from './technology-fit';

export { MODELING_THRESHOLDS, type ModelingContext, type ModelingExample, type ModelingFindingKind } from './kind';

/** Every modeling and requirements finding kind. Adding a kind is adding a file and a line here. */
export const MODELING_FINDING_KINDS: readonly ModelingFindingKind[] = [
  hotJoin,
  partitionPlan,
  indexPlan,
  technologyFit,
  replication,
  caching,
  backup,
  crossTenantJob,
];
