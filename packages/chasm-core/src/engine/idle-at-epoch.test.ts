import { afterEach, describe, expect, it } from 'vitest';
import { Registry as PromRegistry } from 'prom-client';
import { defineLibrary } from '../registry/define-library.js';
import { createTestEngine, type TestEngine } from '../testing/test-engine.js';
import { MemoryExecutionStore } from '../testing/memory-store.js';
import { ManualClock } from '../testing/manual-clock.js';
import type { ExecutionKey, LoadedExecution } from '../persistence/store.js';

/**
 * `PureTaskType.idleAtEpoch` (ADR 0069): a due task that is idle at the memory epoch it names is
 * finished without loading its execution when the execution is not in memory at that epoch; in
 * memory, or at another epoch (a restart), it runs as any task does.
 */
interface GuardState {
  offers: number;
}
interface GuardPayload {
  epoch: string;
}

const lib = defineLibrary('idleepoch');
const Job = lib.component<GuardState>({ name: 'job', lifecycle: () => 'running' });
/** Like a start guard: nothing to do at the epoch it was scheduled in, else it "offers again". */
const Guard = lib.pureTask<typeof Job, GuardPayload>({
  name: 'guard',
  component: Job,
  validate: () => true,
  execute(ctx, job, p) {
    if (p.epoch === ctx.memoryEpoch) return;
    job.state.offers++;
  },
  idleAtEpoch: (p) => p.epoch,
});
const library = lib.build({ components: [Job], tasks: [Guard] });

class CountingStore extends MemoryExecutionStore {
  loads = 0;
  override loadExecution(key: ExecutionKey): Promise<LoadedExecution | undefined> {
    this.loads++;
    return super.loadExecution(key);
  }
}

const target = (businessId: string) => ({ type: Job, namespaceId: 'ns', businessId });
const outcomes = async (metrics: PromRegistry): Promise<Record<string, number>> => {
  const m = await metrics.getSingleMetric('chasm_tasks_total')?.get();
  return Object.fromEntries((m?.values ?? []).filter((v) => v.labels['type'] === 'idleepoch.guard').map((v) => [String(v.labels['outcome']), v.value]));
};

describe('a pure task idle at its memory epoch', () => {
  const engines: TestEngine[] = [];
  afterEach(async () => {
    for (const t of engines.splice(0)) await t.stop();
  });

  async function engine(store: CountingStore, clock: ManualClock, metrics: PromRegistry): Promise<TestEngine> {
    const t = await createTestEngine({ libraries: [library], store, clock, engine: { cacheSize: 1, metrics } });
    engines.push(t);
    return t;
  }
  const start = (t: TestEngine, businessId: string) =>
    t.engine.start(Job, { namespaceId: 'ns', businessId }, {
      requestId: businessId,
      init: () => ({ offers: 0 }),
      run: (job, ctx) => void ctx.addTask(job, Guard, { epoch: ctx.memoryEpoch }, { at: new Date(ctx.now.getTime() + 1_000) }),
    });

  it('is finished without a load when its execution was evicted, and its row is deleted', async () => {
    const store = new CountingStore();
    const metrics = new PromRegistry();
    const t = await engine(store, new ManualClock(), metrics);
    await start(t, 'a');
    await start(t, 'b'); // a cache of one: evicts 'a'
    const loads = store.loads;
    await t.advance(1_000);
    // 'a' was not in memory: idle without a load; 'b' is cached: run (and changes nothing).
    expect(await outcomes(metrics)).toEqual({ idle: 1, executed: 1 });
    expect(store.loads).toBe(loads);
    expect(await t.engine.read(target('a'), (job) => job.state.offers)).toBe(0);
    const far = new Date(Date.now() + 86_400_000_000);
    const rows = (await Promise.all([...Array(store.shardCount).keys()].map((shardId) => store.scanTasks({ shardId, dueBefore: far, limit: 100 })))).flat();
    expect(rows.filter((r) => r.typeName === 'idleepoch.guard' && r.businessId === 'a')).toEqual([]);
  });

  it('runs, loading its execution, at another epoch (a restart)', async () => {
    const store = new CountingStore();
    const clock = new ManualClock();
    const first = await engine(store, clock, new PromRegistry());
    await start(first, 'a');
    await first.stop();
    engines.splice(0);
    const metrics = new PromRegistry();
    const t = await engine(store, clock, metrics);
    const loads = store.loads;
    await t.advance(1_000);
    expect(await outcomes(metrics)).toEqual({ executed: 1 });
    expect(store.loads).toBeGreaterThan(loads);
    expect(await t.engine.read(target('a'), (job) => job.state.offers)).toBe(1);
  });
});
