import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { DEFAULT_STORE_ROLES } from '../../store/store-roles';

interface SetupOptions {
  ownerUrl: string;
  ownerRole: string;
  appRole: string;
}

/**
 * `schemawright store setup`: on an existing server, creates the owner and application roles, applies
 * the store's migrations as the owner, and grants the application what it needs. The application's
 * password is SCHEMAWRIGHT_APP_PASSWORD, or a new one, printed once in the DATABASE_URL to use.
 */
export async function runStoreSetup(options: SetupOptions): Promise<void> {
  const { setupStore } = await import('../../store/least-privilege.js');
  const given = process.env.SCHEMAWRIGHT_APP_PASSWORD;
  const setup = await setupStore(options.ownerUrl, given || randomBytes(24).toString('base64url'), {
    owner: options.ownerRole,
    app: options.appRole,
  });
  process.stdout.write(
    `store set up: ${setup.applied.length ? `applied ${setup.applied.join(', ')}` : 'no migration was pending'}; ${options.ownerRole} owns the store, ${options.appRole} may read and append\n`,
  );
  const url = new URL(setup.appUrl);
  if (given) url.password = '<SCHEMAWRIGHT_APP_PASSWORD>';
  process.stdout.write(
    `Give workers, the web server and the CLI this DATABASE_URL (keep it secret):\n  ${url.toString()}\n`,
  );
}

export function registerStoreCommand(program: Command): void {
  const store = program.command('store').description("The project store's roles and migrations.");
  store
    .command('setup')
    .description(
      'Create the owner and application roles, apply migrations as the owner, grant the application role only what it needs (run again after an upgrade).',
    )
    .requiredOption(
      '--owner-url <url>',
      "an administrator's URL of the store's database: a superuser, or a role with CREATEROLE that may create in it",
    )
    .option('--owner-role <name>', 'the role that owns the store (NOLOGIN)', DEFAULT_STORE_ROLES.owner)
    .option('--app-role <name>', 'the role the application connects as', DEFAULT_STORE_ROLES.app)
    .action((options: SetupOptions) => runStoreSetup(options));
}
