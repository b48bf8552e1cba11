import { randomUUID } from 'node:crypto';
import { parseWorkflowCron, workflowCronBackoffMs, WorkflowCronSyntaxError } from '@chasm/schedule-spec';
import { InvalidArgumentError } from '@chasm/core';
import { msToDuration, optionalTimestampToMs } from '@chasm/matching';
import { Enums, type Failure, type Payloads } from '../proto.js';
import type { HistoryWriter } from './history-writer.js';
import type { NextRun } from './next-run.js';
import { carried, startedAttributes } from './run-chain.js';

/**
 * Temporal's backoff.ValidateSchedule: a `cron_schedule` robfig's ParseStandard refuses is
 * INVALID_ARGUMENT ("Invalid CronSchedule."), before anything is stored. Empty means no cron.
 */
export function checkCronSchedule(field: string, cron: string | null | undefined): void {
  if (!cron) return;
  try {
    parseWorkflowCron(cron);
  } catch (e) {
    if (e instanceof WorkflowCronSyntaxError) throw new InvalidArgumentError(field, `Invalid CronSchedule: ${e.message}.`);
    throw e;
  }
}

/**
 * The backoff before a cron run's first workflow task: from `scheduledMs` (the run's execution
 * time; `nowMs` for the first run of a chain) to the next cron time not before `nowMs`
 * (Temporal's GetBackoffForNextSchedule). Undefined for no cron, or a schedule with no time left.
 */
export function cronBackoffMs(cron: string | null | undefined, scheduledMs: number, nowMs: number): number | undefined {
  if (!cron) return undefined;
  try {
    return workflowCronBackoffMs(parseWorkflowCron(cron), scheduledMs, nowMs);
  } catch (e) {
    // Refused at the door; a stored string that no longer parses ends the chain, as Temporal's NoBackoff.
    if (e instanceof WorkflowCronSyntaxError) return undefined;
    throw e;
  }
}

/** Counts the cron runs that were followed by a next run (metrics), by how they closed. */
export const cronHooks: { continued?: (closed: 'completed' | 'failed' | 'timedOut') => void } = {};

/** How a cron run closed: its result (completed) or its failure (failed, timed out). */
export type CronClose = { readonly result: Payloads | null | undefined } | { readonly failure: Failure | null };

/**
 * The next run of a cron chain, when the closing run has a `cron_schedule` (Temporal's handleCron
 * and SetupNewWorkflowForRetryOrCron): attempt 1, initiator CRON_SCHEDULE, the first workflow task
 * backed off to the next cron time, the last completion result (this run's result, or the one this
 * run was given when it failed) and the failure that closed this run. Terminated and cancelled
 * runs never get here: they end the chain.
 */
export function cronNextRun(w: HistoryWriter, close: CronClose, timedOut = false): NextRun | undefined {
  const prev = startedAttributes(w.wf);
  const backoff = cronBackoffMs(prev.cronSchedule, w.wf.state.executionTime, w.now);
  if (backoff === undefined) return undefined;
  cronHooks.continued?.(timedOut ? 'timedOut' : 'result' in close ? 'completed' : 'failed');
  const failure = 'failure' in close ? close.failure : null;
  const lastCompletionResult = 'result' in close ? close.result : prev.lastCompletionResult;
  return {
    runId: randomUUID(),
    started: {
      ...carried(w.wf, prev),
      attempt: 1,
      initiator: Enums.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
      ...(lastCompletionResult?.payloads?.length ? { lastCompletionResult } : {}),
      ...(failure ? { continuedFailure: failure } : {}),
      ...(backoff > 0 ? { firstWorkflowTaskBackoff: msToDuration(backoff) } : {}),
    },
  };
}

/** Temporal's timeout failure for a run that timed out: `continued_failure` of the next cron run. */
const RUN_TIMEOUT_FAILURE: Failure = {
  message: 'workflow timeout',
  timeoutFailureInfo: { timeoutType: Enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
};

/** The next cron run after a run timeout, unless the chain's execution timeout has passed too. */
export function cronNextRunOnTimeout(w: HistoryWriter): NextRun | undefined {
  const expiry = optionalTimestampToMs(startedAttributes(w.wf).workflowExecutionExpirationTime, 'workflow_execution_expiration_time');
  if (expiry !== undefined && expiry > 0 && expiry <= w.now) return undefined;
  return cronNextRun(w, { failure: RUN_TIMEOUT_FAILURE }, true);
}
