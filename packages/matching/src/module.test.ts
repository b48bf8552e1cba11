import { openDatabase, systemClock, TOKENS, type Database, type MigrationSet, type NamespaceResolver, type RpcHandlerSet, type ServiceLifecycle, migrate } from '@chasm/core';
import { Container } from 'inversify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_TASK_HANDLERS, type ActivityTaskHandler } from './activity-tasks/activity-task-handler.js';
import { MATCHING, type MatchingService } from './matching-service.js';
import { matchingModule } from './module.js';

/** A container with what the runtime binds before plugins load, and matching's module, on a real PGlite database. */
async function matchingContainer(): Promise<{ container: Container; database: Database }> {
  const database = await openDatabase({ kind: 'pglite' });
  const container = new Container();
  container.bind(TOKENS.Database).toConstantValue(database);
  container.bind(TOKENS.Clock).toConstantValue(systemClock);
  container.bind(TOKENS.Logger).toConstantValue(pino({ level: 'silent' }));
  container.bind(TOKENS.Metrics).toConstantValue(new Registry());
  const namespaces: NamespaceResolver = { idOf: async (n) => `id-${n}`, nameOf: async (id) => id.slice(3) };
  container.bind(TOKENS.Namespaces).toConstantValue(namespaces);
  await container.load(matchingModule());
  return { container, database };
}

describe('matchingModule', () => {
  it('binds the service, migrations, gRPC methods and lifecycle', async () => {
    const { container, database } = await matchingContainer();

    const [migrations] = container.getAll<MigrationSet>(TOKENS.Migrations);
    expect(migrations?.table).toBe('matching_migrations');
    await migrate(database, migrations!.table, migrations!.migrations as never);
    const [service] = container.getAll<ServiceLifecycle>(TOKENS.Service);
    await service?.start();
    const matching = container.get<MatchingService>(MATCHING);
    expect(service).toBe(matching);

    const [handlers, activityTasks] = container.getAll<RpcHandlerSet>(TOKENS.RpcHandlers);
    // No feature bound an activity-task handler: the router provides no method (UNIMPLEMENTED).
    expect(activityTasks?.methods).toEqual({});
    const call = { signal: new AbortController().signal, deadline: undefined, metadata: {} };
    await matching.addTask({ namespaceId: 'id-default', taskQueue: { name: 'tq', kind: 'normal' }, type: 'activity', payload: new Uint8Array([1]) });
    const described = (await handlers!.methods['DescribeTaskQueue']!(
      { namespace: 'default', taskQueue: { name: 'tq', kind: 1 }, taskQueueType: 2, reportStats: true, reportConfig: true },
      call,
    )) as { stats: { approximateBacklogCount: number }; effectiveRateLimit: { rateLimitSource: number } };
    expect(Number(described.stats.approximateBacklogCount)).toBe(1);
    expect(described.effectiveRateLimit.rateLimitSource).toBe(3);
    const updated = (await handlers!.methods['UpdateTaskQueueConfig']!(
      { namespace: 'default', taskQueue: 'tq', taskQueueType: 2, updateQueueRateLimit: { rateLimit: { requestsPerSecond: 7 }, reason: 'x' } },
      call,
    )) as { config: { queueRateLimit: { rateLimit: { requestsPerSecond: number } } } };
    expect(updated.config.queueRateLimit.rateLimit.requestsPerSecond).toBe(7);
    await expect(
      handlers!.methods['UpdateTaskQueueConfig']!({ namespace: 'default', taskQueue: 'tq', taskQueueType: 1, updateQueueRateLimit: {} }, call),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await handlers!.methods['RecordWorkerHeartbeat']!(
      { namespace: 'default', workerHeartbeat: [{ workerInstanceKey: 'w1', taskQueue: 'tq', status: 1 }] },
      call,
    );
    const listed = (await handlers!.methods['ListWorkers']!({ namespace: 'default', query: "TaskQueue = 'tq'" }, call)) as {
      workers: { workerInstanceKey: string }[];
    };
    expect(listed.workers.map((w) => w.workerInstanceKey)).toEqual(['w1']);
    await expect(handlers!.methods['DescribeWorker']!({ namespace: 'default', workerInstanceKey: 'nope' }, call)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await handlers!.methods['ShutdownWorker']!({ namespace: 'default', workerInstanceKey: 'w1', stickyTaskQueue: 'w1-sticky' }, call);
    await service?.stop();
    await database.close();
  });

  it('serves the activity-task RPCs once a feature binds an activity-task handler', async () => {
    const { container, database } = await matchingContainer();
    // Bound after matching's module is loaded, as a feature module would be.
    container.bind(ACTIVITY_TASK_HANDLERS).toConstantValue({ archetype: 'workflow.workflow', tokenForm: 'ref' } as unknown as ActivityTaskHandler);
    const [, activityTasks] = container.getAll<RpcHandlerSet>(TOKENS.RpcHandlers);
    expect(Object.keys(activityTasks?.methods ?? {})).toContain('PollActivityTaskQueue');
    expect(Object.keys(activityTasks?.methods ?? {})).toContain('RecordActivityTaskHeartbeatById');
    await database.close();
  });
});
