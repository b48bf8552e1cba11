// The workflow the update benchmark runs: a counter whose `add` update returns the new total.
import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

export const addUpdate = defineUpdate<number, [number]>('add');
export const finishSignal = defineSignal('finish');

export async function counter(): Promise<number> {
  let total = 0;
  let done = false;
  setHandler(
    addUpdate,
    (n) => {
      total += n;
      return total;
    },
    {
      validator: (n) => {
        if (n < 0) throw new Error('negative');
      },
    },
  );
  setHandler(finishSignal, () => {
    done = true;
  });
  await condition(() => done);
  return total;
}
