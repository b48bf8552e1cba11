import { randomUUID } from 'node:crypto';
import type { Database } from '@chasm/core';
import { CLUSTER_NAME } from '../namespaces/namespace-validation.js';

export interface ClusterMetadata {
  readonly clusterName: string;
  readonly clusterId: string;
  readonly historyShardCount: number;
}

/**
 * Creates the cluster's identity on first start and reads it afterwards. The shard count is
 * fixed when the cluster is created: executions hash to shards, so changing it would move them.
 */
export async function loadClusterMetadata(database: Database, configuredShards: number, now: Date): Promise<ClusterMetadata> {
  await database.db
    .insertInto('cluster_info')
    .values({ cluster_name: CLUSTER_NAME, cluster_id: randomUUID(), history_shard_count: configuredShards, created_at: now })
    .onConflict((oc) => oc.column('cluster_name').doNothing())
    .execute();
  const row = (await database.db
    .selectFrom('cluster_info')
    .selectAll()
    .where('cluster_name', '=', CLUSTER_NAME)
    .executeTakeFirstOrThrow()) as { cluster_id: string; history_shard_count: number };
  if (row.history_shard_count !== configuredShards) {
    throw new Error(
      `config: shards is ${configuredShards} but this cluster was created with ${row.history_shard_count} shards; the shard count cannot change`,
    );
  }
  return { clusterName: CLUSTER_NAME, clusterId: row.cluster_id, historyShardCount: row.history_shard_count };
}
