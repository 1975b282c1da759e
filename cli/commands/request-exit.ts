import type { RequestState } from '../../workflows/design-request-messages';

/**
 * The exit status of `request`, `status`, `decide` and `cancel` (README, "Exit statuses"): 0 while the
 * request goes as it should (running, waiting for people, applying, completed), a distinct status for
 * each way it ends otherwise, so that a script can tell them apart without parsing text.
 */
export const EXIT = { ok: 0, error: 1, refused: 2, failed: 3, rejected: 4, expired: 5, cancelled: 6 } as const;

export function exitStatusOf(state: RequestState): number {
  switch (state) {
    case 'failed':
    case 'rejected':
    case 'expired':
    case 'cancelled':
      return EXIT[state];
    default:
      return EXIT.ok;
  }
}

/** A request not started (its input, target or policy), an unknown id, a refused decision or cancel: the message says what to change. */
async function isRefusedInput(error: unknown): Promise<boolean> {
  const { RefusedError, RequestInputError, UnknownRequestError } = await import('../../approvals/requests.js');
  return [RequestInputError, UnknownRequestError, RefusedError].some((kind) => error instanceof kind);
}

/** Runs a command's action: refused input is reported with status 2, the action's own status is kept. */
export async function withExitStatus(action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (error) {
    if (!(error instanceof Error) || !(await isRefusedInput(error))) throw error;
    console.error(`schemawright: ${error.message}`);
    process.exitCode = EXIT.refused;
  }
}
