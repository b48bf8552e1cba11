// Workflows the schedules under test start, bundled once per test file with bundleWorkflowCode.
import { ApplicationFailure, condition, defineSignal, setHandler, workflowInfo } from '@temporalio/workflow';

/** Returns at once. */
export async function quick(): Promise<string> {
  return 'done';
}

export const finishSignal = defineSignal('finish');

/**
 * Runs until signalled `finish` (a workflow that outlives any schedule interval). Cancellation
 * interrupts the wait, so a cancelled run closes CANCELED.
 */
export async function blocker(): Promise<string> {
  let done = false;
  setHandler(finishSignal, () => {
    done = true;
  });
  await condition(() => done);
  return 'finished';
}

/** Fails at once, without retries: what pause-on-failure reacts to. */
export async function failing(): Promise<never> {
  throw ApplicationFailure.nonRetryable('scheduled run fails', 'Broken');
}

/** 1 + the previous scheduled run's result: shows the schedule passes on its last completion result. */
export async function counter(): Promise<number> {
  const last = workflowInfo().lastResult as number | undefined;
  return (typeof last === 'number' ? last : 0) + 1;
}
