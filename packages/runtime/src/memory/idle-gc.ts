import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';

export interface IdleGcOptions {
  /** How often the process's CPU use is sampled (ms). */
  readonly checkEveryMs: number;
  /** Quiet checks in a row before collecting: V8 shrinks only once its allocation rate has fallen. */
  readonly quietChecks: number;
  /** A check is quiet when the process used less CPU than this share of the interval. */
  readonly quietCpuShare: number;
  /**
   * A young generation still larger than this after a collection was not shrunk: collect again
   * at the next quiet check, up to `retries` times per quiet spell.
   */
  readonly shrunkNewSpaceBytes: number;
  readonly retries: number;
}

/** Every 2 s; after 8 s below 5 % of a core; again up to 5 times, 2 s apart, while the young generation stays over 4 MiB. */
export const DEFAULT_IDLE_GC: IdleGcOptions = { checkEveryMs: 2_000, quietChecks: 4, quietCpuShare: 0.05, shrunkNewSpaceBytes: 4 * 1024 * 1024, retries: 5 };

/**
 * One full garbage collection when the process goes quiet after work (ADR 0038).
 *
 * While a burst allocates (the boot, a run of workflows) V8 grows its young generation to two
 * 16 MB semi-spaces, and gives them back only at a full collection made while the allocation
 * rate is low. An idle process makes no collection at all, so a dev server that had booted (or
 * run a burst) kept ~30 MB of empty young generation resident for good: the largest single item
 * of its idle RSS after the database. So once the process has been quiet for a while after being
 * busy, this asks V8 for one full collection (~0.1 s of CPU at the dev server's heap size), and
 * none more until the process has been busy again.
 *
 * V8 shrinks the young generation at a full collection only if its allocation rate, measured
 * since the collection before, is under 1 MB/s. The first collection of a quiet spell often
 * counts the tail of the burst (the boot's last allocations, seconds ago but after V8's last own
 * collection) and keeps both semi-spaces: dev-server boots idled at 250 or 285 MiB depending on
 * it. A second collection one check later measures only the quiet since the first and shrinks;
 * so while the young generation stays large after a collection, the next quiet check collects
 * again (at most `retries` times).
 *
 * `gc` is not exposed without `--expose-gc`; the flag is set at run time, which makes the
 * function available in a new context without changing how the heap behaves otherwise.
 */
export class IdleGc {
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = process.cpuUsage();
  private quiet = 0;
  /** Busy since the last collection: the boot counts, so the first quiet spell collects. */
  private busy = true;
  /** Collections still allowed in this quiet spell because the last one did not shrink. */
  private retriesLeft = 0;
  private readonly collections: Counter;
  private readonly seconds: Histogram;

  constructor(
    private readonly logger: Logger,
    metrics: Registry,
    private readonly options: IdleGcOptions = DEFAULT_IDLE_GC,
  ) {
    this.collections = new Counter({ name: 'chasm_idle_gc_total', help: 'Full garbage collections made because the process went quiet after work', registers: [metrics] });
    this.seconds = new Histogram({
      name: 'chasm_idle_gc_duration_seconds',
      help: 'Duration of those collections',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics],
    });
  }

  start(): void {
    this.lastCpu = process.cpuUsage();
    this.timer = setInterval(() => this.check(), this.options.checkEveryMs);
    // Never what keeps the process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const used = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    const cpuMs = (used.user + used.system) / 1000;
    if (cpuMs > this.options.quietCpuShare * this.options.checkEveryMs) {
      this.busy = true;
      this.quiet = 0;
      this.retriesLeft = 0;
      return;
    }
    if (this.retriesLeft > 0) {
      this.retriesLeft--;
    } else {
      if (!this.busy || ++this.quiet < this.options.quietChecks) return;
      this.busy = false;
      this.quiet = 0;
      this.retriesLeft = this.options.retries;
    }
    if (this.collect() <= this.options.shrunkNewSpaceBytes) this.retriesLeft = 0;
    // The collection's own CPU is not work: counted, it would make the next check busy and
    // start the cycle again on an idle process.
    this.lastCpu = process.cpuUsage();
  }

  /** Collects; returns the young generation's size after it (0 when nothing was collected). */
  private collect(): number {
    const gc = exposedGc();
    if (!gc) return 0;
    const before = process.memoryUsage.rss();
    const t0 = performance.now();
    gc();
    const seconds = (performance.now() - t0) / 1000;
    this.collections.inc();
    this.seconds.observe(seconds);
    const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
    this.logger.debug({ ms: Math.round(seconds * 1000), rssBefore: before, newSpace }, 'idle collection');
    return newSpace;
  }
}

let cachedGc: (() => void) | null | undefined;

/** V8's `gc()`, made available once; null where the engine refuses (then nothing is collected). */
function exposedGc(): (() => void) | null {
  if (cachedGc !== undefined) return cachedGc;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    cachedGc = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    cachedGc = null;
  }
  return cachedGc;
}
