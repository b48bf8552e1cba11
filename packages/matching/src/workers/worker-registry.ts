import { InvalidArgumentError } from '@chasm/core';

/**
 * A worker's last heartbeat. `heartbeat` is the decoded temporal.api.worker.v1.WorkerHeartbeat
 * kept as given (matching reads only the fields it filters on).
 */
export interface WorkerHeartbeatRecord {
  readonly workerInstanceKey: string;
  readonly workerIdentity: string;
  readonly hostName: string;
  readonly taskQueue: string;
  readonly sdkName: string;
  readonly sdkVersion: string;
  /** 'RUNNING' | 'SHUTTING_DOWN' | 'SHUTDOWN' | 'UNSPECIFIED' */
  readonly status: string;
  readonly deploymentName?: string;
  readonly buildId?: string;
  readonly startTime?: Date;
  readonly heartbeatTime: Date;
  readonly heartbeat: unknown;
}

export interface WorkerListQuery {
  /** SQL-like filter, e.g. `TaskQueue = 'orders' AND Status = 'RUNNING'`. Empty: all. */
  readonly query?: string;
}

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

const FIELDS: Record<string, (hb: WorkerHeartbeatRecord) => string | undefined> = {
  workerinstancekey: (h) => h.workerInstanceKey,
  workeridentity: (h) => h.workerIdentity,
  hostname: (h) => h.hostName,
  taskqueue: (h) => h.taskQueue,
  deploymentname: (h) => h.deploymentName,
  buildid: (h) => h.buildId,
  sdkname: (h) => h.sdkName,
  sdkversion: (h) => h.sdkVersion,
  status: (h) => h.status,
};

/**
 * A small subset of Temporal's worker query language: comparisons `Field = 'v'`, `!=`,
 * `STARTS_WITH`, joined with AND / OR (AND binds tighter), no parentheses.
 */
export function compileWorkerQuery(query: string): (hb: WorkerHeartbeatRecord) => boolean {
  const q = query.trim();
  if (q === '') return () => true;
  const ors = q.split(/\s+OR\s+/i).map((part) =>
    part.split(/\s+AND\s+/i).map((cond) => {
      const m = /^\s*(\w+)\s*(=|!=|STARTS_WITH)\s*(['"])(.*)\3\s*$/i.exec(cond);
      if (!m) throw new InvalidArgumentError('query', `cannot parse condition "${cond.trim()}"`);
      const [, field = '', op = '', , value = ''] = m;
      const get = FIELDS[field.toLowerCase()];
      if (!get) throw new InvalidArgumentError('query', `unknown field ${field}`);
      const opU = op.toUpperCase();
      const wanted = field.toLowerCase() === 'status' ? value.toUpperCase().replace(/^WORKER_STATUS_/, '') : value;
      return (hb: WorkerHeartbeatRecord): boolean => {
        const v = get(hb) ?? '';
        return opU === '=' ? v === wanted : opU === '!=' ? v !== wanted : v.startsWith(wanted);
      };
    }),
  );
  return (hb) => ors.some((ands) => ands.every((c) => c(hb)));
}
