// Workflows for the update end-to-end tests, bundled once per test file with bundleWorkflowCode.
import { condition, defineQuery, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

/** Adds to the total and returns it; the validator refuses negative numbers. */
export const addUpdate = defineUpdate<number, [number]>('add');
/** Waits until released, then returns its argument (stays accepted-but-incomplete until then). */
export const blockUpdate = defineUpdate<string, [string]>('block');
export const releaseSignal = defineSignal('release');
/** Ends the workflow from inside an update: update and workflow complete in one workflow task. */
export const finishUpdate = defineUpdate<string>('finishWith');
export const finishSignal = defineSignal('finish');
/** How many times the `add` handler ran (dedup checks). */
export const runsQuery = defineQuery<number>('runs');
export const totalQuery = defineQuery<number>('total');

export async function counter(): Promise<number> {
  let total = 0;
  let runs = 0;
  let released = false;
  let done = false;
  setHandler(
    addUpdate,
    (n) => {
      runs++;
      total += n;
      return total;
    },
    {
      validator: (n) => {
        if (n < 0) throw new Error(`negative: ${n}`);
      },
    },
  );
  setHandler(blockUpdate, async (s) => {
    await condition(() => released);
    return s;
  });
  setHandler(finishUpdate, () => {
    done = true;
    return `finished at ${total}`;
  });
  setHandler(releaseSignal, () => {
    released = true;
  });
  setHandler(finishSignal, () => {
    done = true;
  });
  setHandler(runsQuery, () => runs);
  setHandler(totalQuery, () => total);
  await condition(() => done);
  return total;
}

/** Returns at once: updates sent to it find a closed run. */
export async function quick(): Promise<string> {
  return 'done';
}
export * from './ordered.js';
