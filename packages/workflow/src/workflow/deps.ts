import type { ChasmEngine, Clock, CompletionDelivery, Engine, NamespaceResolver } from '@chasm/core';
import type { MatchingService } from '@chasm/matching';
import type { Logger } from 'pino';
import type { WorkflowConfig } from '../config.js';
import type { WorkflowMetrics } from '../metrics.js';

/** What the workflow library's tasks and handlers need from the outside world. */
export interface WorkflowDeps {
  readonly engine: ChasmEngine;
  readonly matching: MatchingService;
  readonly namespaces: NamespaceResolver;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly config: WorkflowConfig;
  readonly metrics: WorkflowMetrics | undefined;
  /** Delivers completion callbacks through what the installed packages bind (receivers, deliverers). */
  readonly delivery: CompletionDelivery;
}

/**
 * Task types are module constants (transitions add them by value), but side-effect handlers need
 * per-server services. They find them through the engine that runs them: one entry per engine,
 * so several servers in one process (tests) stay apart.
 */
const byEngine = new WeakMap<Engine, WorkflowDeps>();

export function registerDeps(deps: WorkflowDeps): void {
  byEngine.set(deps.engine, deps);
}

export function depsOf(engine: Engine): WorkflowDeps {
  const deps = byEngine.get(engine);
  if (!deps) throw new Error('workflow library is not registered with this engine');
  return deps;
}
