import type { Pool } from 'pg';
import { getArtifact, putArtifact } from '../../store/artifacts';

export interface StackCheckResult {
  digest: string;
  postgresVersion: string;
}

/** Proves the worker reaches the project's store: writes an artifact, reads it back by digest. */
export function createStackCheckActivities(store: Pool) {
  return {
    async roundTripStore(workflowId: string): Promise<StackCheckResult> {
      const written = await putArtifact(store, 'stack-check', 'text/plain', `stack check by workflow ${workflowId}`);
      const read = await getArtifact(store, written.digest);
      const { rows } = await store.query<{ server_version: string }>('SHOW server_version');
      return { digest: read.digest, postgresVersion: rows[0].server_version };
    },
  };
}
