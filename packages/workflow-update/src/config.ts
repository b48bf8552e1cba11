import { z } from 'zod';

const positive = (def: number) => z.number().int().positive().default(def);

/** Tunables of Workflow Update (Temporal's defaults unless noted): the schema of `settings.workflow-update`. */
export const workflowUpdateConfigSchema = z.strictObject({
  /** history.maxInFlightUpdates: admitted or accepted, not yet completed, per run. */
  maxInFlightUpdates: positive(10),
  /** history.maxInFlightUpdatePayloads: bytes of the requests of in-flight updates, per run. */
  maxInFlightUpdatePayloadBytes: positive(20 * 1024 * 1024),
  /** history.maxTotalUpdates: updates per run, rejections excluded. */
  maxTotalUpdates: positive(2000),
  /** How long UpdateWorkflowExecution / PollWorkflowExecutionUpdate wait at most before answering the stage reached. */
  longPollMs: positive(20_000),
  /** The soft timeout answers this long before the caller's deadline, so the answer arrives in time. */
  deadlineMarginMs: z.number().int().nonnegative().default(1_000),
  /** Rejected updates kept per run for deduplication of retried requests (they do not count toward the limits). */
  rejectedKept: z.number().int().nonnegative().default(100),
  /** history.failUpdateWorkflowTaskAttemptCount: no new updates while the workflow task keeps failing. */
  failOnWorkflowTaskAttempt: positive(3),
  /**
   * Deliver an update to an idle workflow on a speculative workflow task (ADR 0034): admission
   * and the task's start are not written, the worker's answer is one commit, a rejection none.
   * false: the update and its workflow task are written at admission (one commit more per step).
   */
  speculativeTasks: z.boolean().default(true),
});

export type WorkflowUpdateConfig = Readonly<z.output<typeof workflowUpdateConfigSchema>>;

export const DEFAULT_WORKFLOW_UPDATE_CONFIG: WorkflowUpdateConfig = workflowUpdateConfigSchema.parse({});
