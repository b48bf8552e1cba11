import { DEFAULT_MAX_WAITING_PER_EXECUTION } from '@chasm/core';
import type { Quota } from './priority-rate-limiter.js';
import type { RpcClass } from './rpc-class.js';

/** The front door's admission limits (config `limits:` and per-namespace `rps`/`burst`). */
export interface RpcLimits {
  /** The quota of every namespace without one of its own. */
  readonly namespace: Quota;
  /** Quotas of particular namespaces, by name. */
  readonly namespaces: Readonly<Record<string, Quota>>;
  /** All calls to this instance together, whatever their namespace (scope SYSTEM); absent = none. */
  readonly instance?: Quota;
  /** Most calls of each class in flight at once on this instance (scope SYSTEM). */
  readonly concurrency: Readonly<Record<RpcClass, number>>;
  /** Requests that may wait for one execution's lock; more are refused BUSY_WORKFLOW (the engine's). */
  readonly maxWaitingPerExecution: number;
}

/**
 * Temporal's frontend defaults for the namespace quota (frontend.namespaceRPS 2400, burst ratio 2).
 * Concurrency defaults are far above what the test suites and the dev server reach (the
 * long-poll burst test holds 2,000 polls), and mainly stop a runaway client from exhausting the
 * process.
 */
export const DEFAULT_RPC_LIMITS: RpcLimits = {
  namespace: { rps: 2400, burst: 4800 },
  namespaces: {},
  concurrency: { system: 1000, poll: 10_000, complete: 5000, start: 5000, other: 5000 },
  maxWaitingPerExecution: DEFAULT_MAX_WAITING_PER_EXECUTION,
};
