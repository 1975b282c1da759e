import type { Pool } from 'pg';
import { createStackCheckActivities } from './stack-check';

/** What every activity may use; built once per worker process. */
export interface ActivityDependencies {
  store: Pool;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createStackCheckActivities(deps.store),
  };
}

export type Activities = ReturnType<typeof createActivities>;
