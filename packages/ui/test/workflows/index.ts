// Workflow code for the browser tests (bundled by the SDK).
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

const { shout } = proxyActivities<{ shout(text: string): Promise<string> }>({ startToCloseTimeout: '10s' });

/** Completes with a result the UI shows, after one activity and one short timer (the timeline has bars). */
export async function greetWorkflow(name: string): Promise<{ greeting: string }> {
  const loud = await shout(name);
  await sleep(10);
  return { greeting: `Hello, ${loud}` };
}

/** Waits for the `approve` signal and returns its argument. */
export async function approvalWorkflow(): Promise<string> {
  let answer: string | undefined;
  setHandler(defineSignal<[string]>('approve'), (a) => {
    answer = a;
  });
  await condition(() => answer !== undefined);
  return answer!;
}

/** Runs until terminated. */
export async function sleepyWorkflow(): Promise<void> {
  await sleep('1 day');
}

/** Adds what its `add` update is given and answers the new total; runs until terminated. */
export async function counterWorkflow(): Promise<void> {
  let total = 0;
  setHandler(defineUpdate<number, [number]>('add'), (n) => {
    total += n;
    return total;
  });
  await sleep('1 day');
}
