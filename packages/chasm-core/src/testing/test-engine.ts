import { ChasmEngine, type ChasmEngineOptions } from '../engine/chasm-engine.js';
import type { ExecutionStore } from '../persistence/store.js';
import type { Library } from '../registry/library.js';
import { Registry } from '../registry/registry.js';
import { ManualClock } from './manual-clock.js';
import { MemoryExecutionStore } from './memory-store.js';

export interface TestEngine {
  readonly engine: ChasmEngine;
  readonly store: ExecutionStore;
  readonly clock: ManualClock;
  readonly registry: Registry;
  /** Waits until no task is ready, running or awaiting deletion. */
  drain(): Promise<void>;
  /** Advances the manual clock (firing due timers) and drains. */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** An engine over the in-memory store (or a given one) and a manual clock, started. */
export async function createTestEngine(opts: {
  libraries: readonly Library[];
  store?: ExecutionStore;
  clock?: ManualClock;
  engine?: Partial<ChasmEngineOptions>;
}): Promise<TestEngine> {
  const registry = new Registry();
  for (const lib of opts.libraries) registry.register(lib);
  const clock = opts.clock ?? new ManualClock();
  const store = opts.store ?? new MemoryExecutionStore();
  const engine = new ChasmEngine({ store, registry, clock, ...opts.engine, tasks: { deleteFlushMs: 1, scanIntervalMs: 3_600_000, ...opts.engine?.tasks } });
  await engine.startup();
  const drain = async (): Promise<void> => {
    // Side effects can schedule more work; settle until quiet.
    for (let i = 0; i < 5; i++) {
      await engine.processor.idle();
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return {
    engine, store, clock, registry, drain,
    async advance(ms) {
      clock.advance(ms);
      await drain();
    },
    stop: () => engine.shutdown(),
  };
}
