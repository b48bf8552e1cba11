// Workflows for the end-to-end tests, bundled once per test file with bundleWorkflowCode.
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  isCancellation,
  makeContinueAsNewFunc,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';

export interface TestActivities {
  greet(name: string): Promise<string>;
  flaky(failures: number): Promise<string>;
}

const { greet, flaky } = proxyActivities<TestActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '50ms', backoffCoefficient: 1, maximumAttempts: 5 },
});
const local = proxyLocalActivities<TestActivities>({ startToCloseTimeout: '10s' });

export async function helloActivity(name: string): Promise<string> {
  return greet(name);
}

export async function sleeper(ms: number): Promise<string> {
  const before = Date.now();
  await sleep(ms);
  return `slept ${Date.now() - before >= ms ? 'enough' : 'too little'}`;
}

export const addSignal = defineSignal<[number]>('add');
export const finishSignal = defineSignal('finish');
export const totalQuery = defineQuery<number>('total');

export async function signalQuery(): Promise<number> {
  let total = 0;
  let done = false;
  setHandler(addSignal, (n) => {
    total += n;
  });
  setHandler(finishSignal, () => {
    done = true;
  });
  setHandler(totalQuery, () => total);
  await condition(() => done);
  return total;
}

export async function cancellable(): Promise<string> {
  try {
    await sleep('1h');
    return 'not cancelled';
  } catch (e) {
    if (isCancellation(e)) return 'cancellation caught';
    throw e;
  }
}

export async function forever(): Promise<void> {
  await sleep('1h');
}

export async function child(name: string): Promise<string> {
  return `child says hello to ${name}`;
}

export async function parent(name: string): Promise<string> {
  const r = await executeChild(child, { args: [name], workflowId: `${workflowInfo().workflowId}-child` });
  return `parent got: ${r}`;
}

/** Starts a child that runs for an hour and completes without waiting (parent close policy TERMINATE, the default). */
export async function leavesChild(): Promise<string> {
  const h = await startChild(forever, { workflowId: `${workflowInfo().workflowId}-child` });
  return h.firstExecutionRunId;
}

export async function chain(n: number): Promise<number> {
  if (n < 3) await continueAsNew<typeof chain>(n + 1);
  return n * 10;
}

export async function retryActivity(failures: number): Promise<string> {
  return flaky(failures);
}

export async function failing(): Promise<void> {
  throw ApplicationFailure.nonRetryable('boom', 'TestFailure');
}

export async function localActivity(name: string): Promise<string> {
  return local.greet(name);
}

export async function upsertAttribute(value: string): Promise<string> {
  upsertSearchAttributes({ CustomKeywordField: [value] });
  await sleep(10);
  return 'upserted';
}

export async function quick(): Promise<string> {
  return 'done';
}

export async function failUntilAttempt(n: number): Promise<number> {
  const attempt = workflowInfo().attempt;
  if (attempt < n) throw ApplicationFailure.retryable(`attempt ${attempt} failed`, 'Retry');
  return attempt;
}

export async function brokenTask(): Promise<void> {
  // A plain Error fails the workflow task (not the workflow): the server retries the task.
  throw new Error('broken workflow code');
}

export async function echoSignals(): Promise<string[]> {
  const got: string[] = [];
  setHandler(defineSignal<[string]>('echo'), (s) => void got.push(s));
  await condition(() => got.includes('stop'));
  return got;
}

/** Continues as new as another workflow type on another task queue (issue 11). */
export async function hop(taskQueue: string): Promise<string> {
  await makeContinueAsNewFunc<typeof landed>({ workflowType: 'landed', taskQueue })(taskQueue);
  return 'not reached';
}

export async function landed(expectedQueue: string): Promise<string> {
  const info = workflowInfo();
  return `${info.workflowType} on ${info.taskQueue} (asked for ${expectedQueue})`;
}

/** An activity on a queue nobody polls, with a schedule-to-start timeout and no schedule-to-close: which timeout ends it. */
export async function unpolledActivity(taskQueue: string): Promise<string> {
  const { greet: neverPolled } = proxyActivities<TestActivities>({ taskQueue, scheduleToStartTimeout: '1s', startToCloseTimeout: '30s', retry: { maximumAttempts: 1 } });
  try {
    await neverPolled('nobody');
    return 'completed';
  } catch (e) {
    if (e instanceof ActivityFailure && e.cause instanceof TimeoutFailure) return `timed out: ${e.cause.timeoutType}`;
    throw e;
  }
}

/**
 * Reads its Datetime search attribute as the started event gave it, upserts another Datetime
 * through the untyped API, and reports what it saw after the upsert (Date or string).
 */
export async function datetimeAttributes(upsertIso: string): Promise<{ startedIsDate: boolean; upsertedIsDate: boolean }> {
  const started = workflowInfo().searchAttributes['CustomDatetimeField']?.[0];
  upsertSearchAttributes({ CustomDatetimeField2: [new Date(upsertIso)] });
  const upserted = workflowInfo().searchAttributes['CustomDatetimeField2']?.[0];
  await sleep(10);
  return { startedIsDate: started instanceof Date, upsertedIsDate: upserted instanceof Date };
}

/** The activity the operator-command tests pause, reset and update (activity-operator-commands.e2e.test.ts). */
export interface OperatedActivities {
  operated(key: string): Promise<string>;
}

/** Runs `operated(key)` under a fixed activity id: it heartbeats until the test releases it. */
export async function operatedActivity(key: string, activityId: string): Promise<string> {
  const { operated } = proxyActivities<OperatedActivities>({
    activityId,
    startToCloseTimeout: '60s',
    heartbeatTimeout: '2s',
    retry: { initialInterval: '200ms', backoffCoefficient: 1, maximumInterval: '200ms' },
  });
  return operated(key);
}

/**
 * Reset (issue 11): an activity on a queue nobody polls yet and a timer, both pending when the
 * signal's workflow task completes; the run answers once both are done.
 */
export async function pendingAtReset(activityQueue: string, timerMs: number): Promise<string> {
  const { greet: later } = proxyActivities<TestActivities>({ taskQueue: activityQueue, startToCloseTimeout: '10s' });
  let poked = 0;
  setHandler(defineSignal('poke'), () => void poked++);
  const greeting = later('reset');
  const slept = sleep(timerMs).then(() => 'slept');
  await condition(() => poked > 0);
  return `${await greeting} ${await slept} ${poked}`;
}

/**
 * Schedules two activities on a queue nobody polls: one with no priority of its own (it takes the
 * workflow's), one with priority key 2 (its own key over the workflow's, the fairness key kept).
 * Waits forever: the test reads the queue's backlog and terminates the run.
 */
/** Two children on `taskQueue` (nobody polls it): one inherits the parent's priority, one sets its own key. */
export async function prioritizedChildren(taskQueue: string): Promise<void> {
  const id = workflowInfo().workflowId;
  await startChild(forever, { taskQueue, workflowId: `${id}-inherits` });
  await startChild(forever, { taskQueue, workflowId: `${id}-own`, priority: { priorityKey: 2 } });
  await sleep('1h');
}

export async function prioritizedActivities(taskQueue: string): Promise<void> {
  const inherit = proxyActivities<TestActivities>({ taskQueue, startToCloseTimeout: '1h' });
  const own = proxyActivities<TestActivities>({ taskQueue, startToCloseTimeout: '1h', priority: { priorityKey: 2 } });
  await Promise.all([inherit.greet('inherits'), own.greet('own')]);
}
