/**
 * The store's two roles: the owner owns every table and function and never logs in; the application
 * role, which workers, the web server and the CLI connect as, reads and writes what it must and owns
 * nothing, so it cannot rewrite the audit log, switch its triggers off or truncate it.
 */
export interface StoreRoles {
  owner: string;
  app: string;
}

export const DEFAULT_STORE_ROLES: StoreRoles = { owner: 'schemawright_owner', app: 'schemawright_app' };
