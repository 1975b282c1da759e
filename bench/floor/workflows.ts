import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

/** The floor of bench:workflow: a workflow that does nothing but wait for one Update. */
export const decideFloor = defineUpdate<string, [string]>('decide');

export async function waitForOneUpdate(): Promise<string> {
  let chosen: string | undefined;
  setHandler(decideFloor, (option) => (chosen = option), {
    validator: (option) => {
      if (!option) throw new Error('an option is required');
    },
  });
  await condition(() => chosen !== undefined);
  return chosen!;
}
