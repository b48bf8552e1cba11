import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Engine metrics, registered once per prom-client registry. */
export class EngineMetrics {
  readonly commits: Counter;
  readonly commitLatency: Histogram;
  readonly starts: Counter<'archetype'>;
  readonly loads: Counter;
  readonly tasks: Counter<'type' | 'outcome'>;
  readonly taskLatency: Histogram<'kind'>;
  readonly pendingTasks: Gauge<'kind'>;
  /** Executions held in the node's cache; set by the engine at each idle sweep. */
  readonly cachedExecutions: Gauge;
  /** Executions whose rows were deleted, by why: retention, namespace (removed with it), request. */
  readonly executionsDeleted: Counter<'reason'>;
  /** Shards whose lease this node holds, read at scrape time (see `watchShards`). */
  readonly shardsOwned: Gauge;
  private shardCount: (() => number) | undefined;
  /** Speculative updates: applied in memory, written later with a commit or never. */
  readonly speculativeUpdates: Counter;

  constructor(registry: Registry) {
    const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
    this.commits = get('chasm_commits_total', () => new Counter({ name: 'chasm_commits_total', help: 'Execution commits (transactions of one execution; the store may join several into one database transaction)', registers: [registry] }));
    this.commitLatency = get('chasm_commit_latency_seconds', () => new Histogram({
      name: 'chasm_commit_latency_seconds', help: 'Store commit latency', registers: [registry],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
    }));
    this.starts = get('chasm_executions_started_total', () => new Counter({ name: 'chasm_executions_started_total', help: 'Executions started', labelNames: ['archetype'] as const, registers: [registry] }));
    this.loads = get('chasm_execution_loads_total', () => new Counter({ name: 'chasm_execution_loads_total', help: 'Executions loaded from the store (cache misses)', registers: [registry] }));
    this.tasks = get('chasm_tasks_total', () => new Counter({ name: 'chasm_tasks_total', help: 'Tasks processed by outcome', labelNames: ['type', 'outcome'] as const, registers: [registry] }));
    this.taskLatency = get('chasm_task_latency_seconds', () => new Histogram({
      name: 'chasm_task_latency_seconds', help: 'Task execution latency', labelNames: ['kind'] as const, registers: [registry],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    }));
    this.cachedExecutions = get('chasm_executions_cached', () => new Gauge({ name: 'chasm_executions_cached', help: 'Executions held in the node cache (idle ones are dropped after cacheIdleMs)', registers: [registry] }));
    this.executionsDeleted = get('chasm_executions_deleted_total', () => new Counter({ name: 'chasm_executions_deleted_total', help: 'Executions deleted, by reason (retention, namespace, request)', labelNames: ['reason'] as const, registers: [registry] }));
    // Read at scrape time rather than set on every acquire and loss: the lease table is the truth.
    const self = (): EngineMetrics => this;
    this.shardsOwned = get('chasm_shards_owned', () => new Gauge({
      name: 'chasm_shards_owned', help: 'Shards whose lease this node holds', registers: [registry],
      collect() {
        const read = self().shardCount;
        if (read) this.set(read());
      },
    }));
    this.speculativeUpdates = get('chasm_speculative_updates_total', () => new Counter({ name: 'chasm_speculative_updates_total', help: 'Speculative updates: applied to a cached execution in memory, not committed', registers: [registry] }));
    this.pendingTasks = get('chasm_tasks_pending', () => new Gauge({ name: 'chasm_tasks_pending', help: 'Tasks waiting in memory', labelNames: ['kind'] as const, registers: [registry] }));
  }

  /** Tells the shard gauge where to read the number of owned shards. */
  watchShards(read: () => number): void {
    this.shardCount = read;
  }
}
