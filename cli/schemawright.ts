import { Command } from 'commander';
import { stopStartedServices } from '../stack/process-cleanup';
import { registerAnalyzeCommand } from './commands/analyze';
import { registerAuditCommand } from './commands/audit';
import { registerPlanCommand } from './commands/plan';
import { registerRequestCommands } from './commands/requests';
import { registerDesignCommand } from './commands/design';
import { registerReviewCommand } from './commands/review';
import { registerRevertCommand } from './commands/revert';
import { registerRolloutCommands } from './commands/rollout';
import { registerStoreCommand } from './commands/store';

// Each command loads its engines when it runs (`await import`), so `--help` or `review` does not pay
// for Temporal's worker, Slack's app and the store.

const program = new Command()
  .name('schemawright')
  .description('A database architect that cannot forget and never acts alone.')
  .showHelpAfterError();

program
  .command('start')
  .description(
    'Run the embedded default: Temporal dev server, PostgreSQL, a worker and the web server (Ctrl-C stops them).',
  )
  .action(async () => (await import('../stack/embedded-stack.js')).startEmbeddedStack());

program
  .command('worker')
  .description('Run a worker on TEMPORAL_ADDRESS with the store at DATABASE_URL (any number may run).')
  .action(async () => (await import('../workers/main.js')).runWorker());

program
  .command('web')
  .description('Run the approvals web server (SCHEMAWRIGHT_WEB_PORT) against TEMPORAL_ADDRESS and DATABASE_URL.')
  .action(async () => (await import('../approvals/web/main.js')).runWebServer());

program
  .command('doctor')
  .description(
    'Prove the chain works: a workflow on TEMPORAL_ADDRESS (or the stack `npm start` runs here) runs on a worker that writes to and reads from the store.',
  )
  .option('--json', 'print the result as JSON')
  .action(async (options: { json?: boolean }) => {
    const { runStackCheck } = await import('../stack/stack-check.js');
    const { readClientEnvironment } = await import('../config/environment.js');
    const result = await runStackCheck(readClientEnvironment());
    if (options.json) console.log(JSON.stringify(result));
    else
      console.log(
        `ok: workflow ${result.workflowId} ran on a worker that stored artifact ${result.digest} in PostgreSQL ${result.postgresVersion}`,
      );
  });

program
  .command('decision-keys')
  .description(
    'Print the public halves of the decision keys held here, as the settings where requests start elsewhere.',
  )
  .action(async () => {
    const { heldPublicKeys } = await import('../approvals/decision-keys.js');
    const { readEnvironment } = await import('../config/environment.js');
    for (const { variable, value } of heldPublicKeys(readEnvironment())) console.log(`${variable}=${value}`);
  });

registerAnalyzeCommand(program);
registerReviewCommand(program);
registerAuditCommand(program);
registerPlanCommand(program);
registerRequestCommands(program);
registerRevertCommand(program);
registerRolloutCommands(program);
registerDesignCommand(program);
registerStoreCommand(program);

/** Errors we expect carry a message that says what to do; anything else also gets its stack for a bug report. */
async function report(error: unknown): Promise<never> {
  const expected = [
    'ConfigError',
    'TargetUnreachableError',
    'TargetNotFoundError',
    'PortInUseError',
    'TemporalCliNotFoundError',
    'PostgresClientNotFoundError',
  ];
  if (error instanceof Error && (expected.includes(error.name) || !process.env.SCHEMAWRIGHT_DEBUG)) {
    console.error(`schemawright: ${error.message}`);
  } else {
    console.error(error);
  }
  await stopStartedServices().catch(() => undefined);
  process.exit(1);
}

// A command that reviewed on a shadow started this process's sandbox server: stop it before leaving.
program
  .parseAsync(process.argv)
  .then(() => stopStartedServices())
  .catch(report);
