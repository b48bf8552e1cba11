import type { SearchAttributeValue } from '@chasm/core';
import type { CanonicalSpec } from '@chasm/schedule-spec';

/** temporal.api.enums.v1.ScheduleOverlapPolicy, by name (UNSPECIFIED resolves to the schedule's). */
export type OverlapPolicy = 'UNSPECIFIED' | 'SKIP' | 'BUFFER_ONE' | 'BUFFER_ALL' | 'CANCEL_OTHER' | 'TERMINATE_OTHER' | 'ALLOW_ALL';
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['UNSPECIFIED', 'SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'TERMINATE_OTHER', 'ALLOW_ALL'];

/** The settings pure tasks need, copied from the package config at create, update and patch. */
export interface Tweakables {
  defaultCatchupWindowMs: number;
  minCatchupWindowMs: number;
  maxBufferSize: number;
  generatorBufferReserveSize: number;
  maxActionsPerExecution: number;
  idleTimeMs: number;
  maxStartAttempts: number;
  retryInitialMs: number;
  retryMaxMs: number;
  recentCompletedKept: number;
}

/** Describe's counters (temporal.api.schedule.v1.ScheduleInfo). Times are epoch ms; 0 = Go's zero time. */
export interface ScheduleCounters {
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  createTime: number;
  updateTime: number;
}

/** A started action as Describe and List show it. */
export interface RecentAction {
  /** The actual (jittered) time it was due. */
  scheduleTime: number;
  /** When the workflow started. */
  actualTime: number;
  workflowId: string;
  runId: string;
  /** 'RUNNING' or the workflow's final status name (WorkflowExecutionStatus without the prefix). */
  status: string;
}

/** The schedule's part of each list entry, kept on the root so visibility's memo can show it. */
export interface ListSummary {
  recentActions: RecentAction[];
  futureActionTimes: number[];
  runningWorkflows: number;
  bufferedStarts: number;
  nextActionTime: number | null;
}

/** State of the root `scheduler.scheduler`. */
export interface SchedulerState {
  namespace: string;
  namespaceId: string;
  scheduleId: string;
  /** Bumped by every update, patch, remaining-actions decrement and pause-on-failure (reference A.10). */
  conflictToken: number;
  /** Deleted or closed idle: every per-schedule RPC answers NOT_FOUND. */
  closed: boolean;
  paused: boolean;
  notes: string;
  limitedActions: boolean;
  remainingActions: number;
  overlapPolicy: OverlapPolicy;
  /** As set (0 = unset): the effective window comes from `catchupWindowMs()`. */
  catchupWindowMs: number;
  pauseOnFailure: boolean;
  keepOriginalWorkflowId: boolean;
  spec: CanonicalSpec;
  /** For list entries (ScheduleListInfo.workflow_type). */
  workflowType: string;
  /** The action's workflow id: started workflows are named after it. */
  actionWorkflowId: string;
  info: ScheduleCounters;
  idleCloseTime: number | null;
  tweakables: Tweakables;
  /** Encoded custom Memo and SearchAttributes, as the caller sent them. */
  memo: Uint8Array | null;
  searchAttributes: Uint8Array | null;
  /** The custom search attributes as visibility values. */
  searchAttributeValues: Record<string, SearchAttributeValue>;
  summary: ListSummary;
}

/** The effective catch-up window: the default when unset or ≤ 0, else at least the minimum. */
export function catchupWindowMs(s: Pick<SchedulerState, 'catchupWindowMs' | 'tweakables'>): number {
  return s.catchupWindowMs > 0 ? Math.max(s.catchupWindowMs, s.tweakables.minCatchupWindowMs) : s.tweakables.defaultCatchupWindowMs;
}

/** Whether an automatic action may run now: not paused, and actions left when limited. */
export function canTakeScheduledAction(s: Pick<SchedulerState, 'paused' | 'limitedActions' | 'remainingActions'>): boolean {
  return !s.paused && (!s.limitedActions || s.remainingActions > 0);
}

/** The overlap policy a start runs under: its own, else the schedule's, else SKIP. */
export function resolvePolicy(own: OverlapPolicy, schedule: OverlapPolicy): Exclude<OverlapPolicy, 'UNSPECIFIED'> {
  if (own !== 'UNSPECIFIED') return own;
  return schedule === 'UNSPECIFIED' ? 'SKIP' : schedule;
}
