import type { Command } from 'commander';
import { readClientEnvironment } from '../../config/environment';
import { describe, follow } from './requests';
import { exitStatusOf, withExitStatus } from './request-exit';

/** `revert`: asks to take back an applied request, as a request of its own that its approvers decide. */
export function registerRevertCommand(program: Command): void {
  program
    .command('revert')
    .description(
      "Ask to revert an applied request: its down is reviewed on the sandbox, asked to the approvers of the request's target, then run by the runner.",
    )
    .argument('<id>', 'the applied request to take back')
    .requiredOption('--reason <reason>', 'why it is taken back (shown to the approvers, kept in the audit log)')
    .requiredOption('--as <person>', 'who asks (a person id of the policy file)')
    .option('--id <clientRequestId>', 'your id for the revert request: repeating it returns the same request')
    .option('--no-wait', 'return once started instead of following progress to the first gate')
    .option('--json', 'print JSON')
    .action((reverts: string, options: { reason: string; as: string; id?: string; wait: boolean; json?: boolean }) =>
      withExitStatus(async () => {
        const { openRequestServices } = await import('../../approvals/services.js');
        const { requestStatus, startRequest } = await import('../../approvals/requests.js');
        const environment = readClientEnvironment();
        const services = await openRequestServices(environment, 'operator');
        try {
          const { requestId, started } = await startRequest(services, {
            clientRequestId: options.id,
            kind: 'revert',
            title: '',
            target: '',
            environment: '',
            requester: options.as,
            channel: 'cli',
            reverts,
            source: { format: 'revert', text: options.reason },
          });
          if (!options.json) console.log(`${started ? 'started' : 'already exists:'} revert request ${requestId}`);
          const view = options.wait
            ? await follow(services, requestId, true)
            : await requestStatus(services, requestId);
          console.log(options.json ? JSON.stringify(view, null, 2) : describe(view, environment.approvals.webBaseUrl));
          return exitStatusOf(view.state);
        } finally {
          await services.close();
        }
      }),
    );
}
