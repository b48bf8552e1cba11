import { ChasmError } from '../errors.js';
import type { ExecutionStore, ShardLease } from '../persistence/store.js';

/**
 * The shard leases this node holds, and the task ids allocated under them. Every write names
 * its shard's lease, so a node that lost a lease can never write for that shard again.
 */
export class ShardLeases {
  private readonly leases = new Map<number, ShardLease>();
  private readonly taskSeq = new Map<number, number>();

  /** Takes ownership of every shard (single-node mode). */
  async acquireAll(store: ExecutionStore, owner: string): Promise<ShardLease[]> {
    for (let s = 0; s < store.shardCount; s++) {
      this.leases.set(s, await store.acquireShard(s, owner));
      this.taskSeq.set(s, 0);
    }
    return [...this.leases.values()];
  }

  has(shardId: number): boolean {
    return this.leases.has(shardId);
  }

  get(shardId: number): ShardLease {
    const lease = this.leases.get(shardId);
    if (!lease) throw new ChasmError('UNAVAILABLE', `shard ${shardId} is not owned by this node`);
    return lease;
  }

  /** The shards this node holds now. */
  owned(): number[] {
    return [...this.leases.keys()];
  }

  release(shardId: number): void {
    this.leases.delete(shardId);
  }

  allocateTaskId(shardId: number): string {
    const seq = (this.taskSeq.get(shardId) ?? 0) + 1;
    this.taskSeq.set(shardId, seq);
    // Unique per shard: range ids are never reused, and the sequence restarts per lease.
    return `${this.get(shardId).rangeId.toString(36)}-${seq.toString(36)}`;
  }
}
