// Workflows for the first-task and replay tests: they record the order their update handlers run in.
import { condition, defineQuery, defineSignal, defineUpdate, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';

/** Records its argument in the list of handled updates and returns the list so far. */
export const recordUpdate = defineUpdate<string[], [string]>('record');
/** Records, then starts a timer before it returns: a handler whose commands interleave with others'. */
export const recordSlowUpdate = defineUpdate<string[], [string]>('recordSlow');
export const doneSignal = defineSignal('done');
/** The handled ids so far (a query on a closed run replays the whole history). */
export const handledQuery = defineQuery<string[]>('handled');

function recordHandlers(handled: string[]): void {
  setHandler(handledQuery, () => [...handled]);
  setHandler(recordUpdate, (id) => {
    handled.push(id);
    return [...handled];
  });
  setHandler(recordSlowUpdate, async (id) => {
    handled.push(id);
    await sleep(10);
    return [...handled];
  });
}

/** Handles updates until `done`; returns the ids in the order the handlers ran. */
export async function recorder(): Promise<string[]> {
  const handled: string[] = [];
  let done = false;
  recordHandlers(handled);
  setHandler(doneSignal, () => {
    done = true;
  });
  // A command in the first task, so the handlers' commands follow the main function's.
  await sleep(1);
  await condition(() => done);
  return handled;
}

const { gate } = proxyLocalActivities<{ gate(name: string): Promise<void> }>({ startToCloseTimeout: '1 minute' });

/**
 * Runs local activity `gate` (the test decides when it ends) before and after handling updates:
 * updates arrive while the workflow task that runs it is in flight, or heartbeating.
 */
export async function gated(rounds: number): Promise<string[]> {
  const handled: string[] = [];
  let done = false;
  recordHandlers(handled);
  setHandler(doneSignal, () => {
    done = true;
  });
  for (let i = 0; i < rounds; i++) await gate(`round-${i}`);
  await condition(() => done);
  return handled;
}
