// Cron workflows for cron.e2e.test.ts, bundled on their own with bundleWorkflowCode.
import { ApplicationFailure, ParentClosePolicy, sleep, startChild, workflowInfo } from '@temporalio/workflow';

/** What a cron run saw: its number in the chain and the inputs Temporal hands to a cron run. */
export interface Tick {
  readonly n: number;
  readonly cronSchedule: string | undefined;
  readonly lastFailure: string | undefined;
  readonly runId: string;
}

function previous(): Tick | undefined {
  return workflowInfo().lastResult as Tick | undefined;
}

function tick(): Tick {
  const info = workflowInfo();
  return { n: (previous()?.n ?? 0) + 1, cronSchedule: info.cronSchedule, lastFailure: info.lastFailure?.message, runId: info.runId };
}

/** Counts its runs through the last completion result. */
export async function cronCounter(): Promise<Tick> {
  return tick();
}

/** Fails the run after the first one (the second run), then counts on. */
export async function cronFailsSecond(): Promise<Tick> {
  const t = tick();
  if (t.n === 2 && t.lastFailure === undefined) throw ApplicationFailure.create({ message: 'second run fails', type: 'CronBoom' });
  return t;
}

/** The first run outlives its run timeout; the next one returns at once. */
export async function cronTimesOutFirst(): Promise<Tick> {
  if (previous() === undefined && workflowInfo().lastFailure === undefined) await sleep('1 hour');
  return tick();
}

/** Starts a cron child that outlives it (ABANDON) and returns the child's first run id. */
export async function cronParent(childId: string): Promise<string> {
  const child = await startChild(cronCounter, { workflowId: childId, cronSchedule: '@every 1s', parentClosePolicy: ParentClosePolicy.ABANDON });
  return child.firstExecutionRunId;
}

/** Fails its first attempt (retryable): the retry policy runs it again before the cron schedule does. */
export async function cronRetriesFirstAttempt(): Promise<Tick> {
  if (workflowInfo().attempt === 1) throw ApplicationFailure.create({ message: 'first attempt fails' });
  return tick();
}
