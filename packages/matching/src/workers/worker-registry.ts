import type { WorkerHeartbeatRecord, WorkerListQuery } from './worker-heartbeat.js';
import { compileWorkerQuery } from './worker-query.js';

export type { WorkerHeartbeatRecord, WorkerListQuery } from './worker-heartbeat.js';

/** In memory, as in Temporal: heartbeats are soft state that workers resend. */
export class WorkerRegistry {
  readonly #byNamespace = new Map<string, Map<string, WorkerHeartbeatRecord>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  record(namespaceId: string, hb: WorkerHeartbeatRecord): void {
    let ns = this.#byNamespace.get(namespaceId);
    if (!ns) this.#byNamespace.set(namespaceId, (ns = new Map()));
    ns.delete(hb.workerInstanceKey);
    // A final heartbeat removes the worker at once.
    if (hb.status === 'SHUTDOWN') return;
    ns.set(hb.workerInstanceKey, hb);
    if (this.#size() > this.maxEntries) {
      const oldest = ns.keys().next().value;
      if (oldest !== undefined) ns.delete(oldest);
    }
  }

  /** Forgets every worker of a deleted namespace. */
  removeNamespace(namespaceId: string): void {
    this.#byNamespace.delete(namespaceId);
  }

  remove(namespaceId: string, workerInstanceKey: string): void {
    this.#byNamespace.get(namespaceId)?.delete(workerInstanceKey);
  }

  get(namespaceId: string, workerInstanceKey: string, now: Date): WorkerHeartbeatRecord | undefined {
    const hb = this.#byNamespace.get(namespaceId)?.get(workerInstanceKey);
    return hb && now.getTime() - hb.heartbeatTime.getTime() <= this.ttlMs ? hb : undefined;
  }

  list(namespaceId: string, query: WorkerListQuery, now: Date): WorkerHeartbeatRecord[] {
    const match = compileWorkerQuery(query.query ?? '');
    const out: WorkerHeartbeatRecord[] = [];
    for (const hb of this.#byNamespace.get(namespaceId)?.values() ?? []) {
      if (now.getTime() - hb.heartbeatTime.getTime() > this.ttlMs) continue;
      if (match(hb)) out.push(hb);
    }
    return out.sort((a, b) => (a.workerInstanceKey < b.workerInstanceKey ? -1 : 1));
  }

  #size(): number {
    let n = 0;
    for (const ns of this.#byNamespace.values()) n += ns.size;
    return n;
  }
}
