import { randomUUID } from 'node:crypto';
import type { temporal } from '../proto.js';

export interface QueryAnswer {
  readonly completedType: number;
  readonly queryResult: temporal.api.common.v1.IPayloads | null | undefined;
  readonly errorMessage: string;
  readonly failure: temporal.api.failure.v1.IFailure | null | undefined;
}

export interface PendingQuery {
  readonly id: string;
  readonly namespaceId: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly query: temporal.api.query.v1.IWorkflowQuery;
  readonly resolve: (a: QueryAnswer) => void;
}

/**
 * Legacy ("direct") query tasks live only in memory: a query is answered by a live worker or
 * times out, and nothing about it is persisted. A query task whose entry is gone (answered,
 * timed out, server restarted) is stale and matching drops it.
 */
export class QueryRegistry {
  private readonly pending = new Map<string, PendingQuery>();

  add(q: Omit<PendingQuery, 'id' | 'resolve'>): { id: string; answer: Promise<QueryAnswer>; cancel: () => void } {
    const id = randomUUID();
    let resolve!: (a: QueryAnswer) => void;
    const answer = new Promise<QueryAnswer>((r) => (resolve = r));
    this.pending.set(id, { ...q, id, resolve });
    return { id, answer, cancel: () => this.pending.delete(id) };
  }

  get(id: string): PendingQuery | undefined {
    return this.pending.get(id);
  }

  answer(id: string, a: QueryAnswer): boolean {
    const q = this.pending.get(id);
    if (!q) return false;
    this.pending.delete(id);
    q.resolve(a);
    return true;
  }
}
