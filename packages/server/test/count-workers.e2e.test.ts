import { Connection } from '@temporalio/client';
import { startTestServer } from '@chasm/runtime/testing';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../src/catalogue.js';

/** CountWorkers (matching) counts the heartbeating workers ListWorkers would list, by the same query. */
describe('CountWorkers', () => {
  it('counts workers by query, as ListWorkers filters them', async () => {
    await using server = await startTestServer({ packages: ['matching'], catalogue: BUILTIN_PLUGINS });
    const connection = await Connection.connect({ address: server.address });
    try {
      const svc = connection.workflowService;
      expect(Number((await svc.countWorkers({ namespace: 'default' })).count)).toBe(0);
      const hb = (key: string, taskQueue: string) => ({ workerInstanceKey: key, taskQueue, workerIdentity: `id-${key}`, sdkName: 'test', status: 1 });
      await svc.recordWorkerHeartbeat({ namespace: 'default', workerHeartbeat: [hb('k1', 'orders'), hb('k2', 'billing'), hb('k3', 'orders')] });
      expect(Number((await svc.countWorkers({ namespace: 'default' })).count)).toBe(3);
      expect(Number((await svc.countWorkers({ namespace: 'default', query: "TaskQueue = 'orders'" })).count)).toBe(2);
      const listed = await svc.listWorkers({ namespace: 'default', query: "TaskQueue = 'orders'" });
      expect(listed.workersInfo).toHaveLength(2);
      await expect(svc.countWorkers({ namespace: 'no-such-namespace' })).rejects.toMatchObject({ code: 5 });
    } finally {
      await connection.close();
    }
  });
});
