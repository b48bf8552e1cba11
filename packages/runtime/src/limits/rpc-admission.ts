import { PriorityRateLimiter, type Quota } from './priority-rate-limiter.js';
import { RPC_CLASSES, type RpcClass } from './rpc-class.js';
import type { RpcLimits } from './rpc-limits.js';
import type { ExhaustedCause, ExhaustedScope } from './quota-exceeded-error.js';

/**
 * Why a call was refused. The few possible values are made once: under a flood, refusing is the
 * path every call takes, so it allocates nothing (the front door caches the status of each).
 */
export interface Refusal {
  readonly cause: ExhaustedCause;
  readonly scope: ExhaustedScope;
  readonly message: string;
}

const NAMESPACE_RPS: Refusal = Object.freeze({ cause: 'RPS_LIMIT', scope: 'NAMESPACE', message: 'namespace rate limit exceeded' });
const INSTANCE_RPS: Refusal = Object.freeze({ cause: 'RPS_LIMIT', scope: 'SYSTEM', message: 'service rate limit exceeded' });

/** Namespaces' limiters are swept (the full, forgettable ones dropped) above this many. */
const SWEEP_ABOVE = 1000;

/**
 * Decides, before a call runs, whether this instance takes it: the class's concurrency limit
 * first (it costs nothing to check and takes nothing), then the instance quota, then the
 * namespace's priority rate limiter. A namespace flooding past its quota is refused with
 * RPS_LIMIT/NAMESPACE and uses none of another namespace's quota; the concurrency and instance
 * limits are shared (scope SYSTEM) and protect the process itself.
 */
export class RpcAdmission {
  readonly #limits: RpcLimits;
  readonly #now: () => number;
  readonly #inFlight = new Map<RpcClass, number>(RPC_CLASSES.map((c) => [c, 0]));
  readonly #namespaces = new Map<string, PriorityRateLimiter>();
  readonly #instance: PriorityRateLimiter | undefined;
  #sweptAt = Number.NEGATIVE_INFINITY;
  readonly #concurrencyRefusals: ReadonlyMap<RpcClass, Refusal>;

  constructor(limits: RpcLimits, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
    this.#instance = limits.instance ? new PriorityRateLimiter(limits.instance, now()) : undefined;
    this.#concurrencyRefusals = new Map(
      RPC_CLASSES.map((c) => [c, Object.freeze({ cause: 'CONCURRENT_LIMIT', scope: 'SYSTEM', message: `service concurrent ${c} request limit exceeded (${limits.concurrency[c]})` } as const)]),
    );
  }

  /**
   * Admits a call of `cls` at rate-limit `priority` (`priorityOfCall`) in `namespace` (undefined:
   * a call with no namespace) or says why not. An admitted call holds a concurrency slot until
   * `release(cls)`.
   */
  admit(cls: RpcClass, priority: number, namespace: string | undefined): Refusal | undefined {
    const inFlight = this.#inFlight.get(cls) ?? 0;
    if (inFlight >= this.#limits.concurrency[cls]) return this.#concurrencyRefusals.get(cls);
    const now = this.#now();
    if (namespace !== undefined) {
      // The namespace first: a namespace over its quota must not spend the instance's tokens.
      if (!this.#limiterOf(namespace, now).tryTake(priority, now)) return NAMESPACE_RPS;
    }
    if (this.#instance && !this.#instance.tryTake(priority, now)) return INSTANCE_RPS;
    this.#inFlight.set(cls, inFlight + 1);
    return undefined;
  }

  release(cls: RpcClass): void {
    this.#inFlight.set(cls, (this.#inFlight.get(cls) ?? 1) - 1);
  }

  /** Calls of each class in flight now (metrics). */
  inFlight(): ReadonlyMap<RpcClass, number> {
    return this.#inFlight;
  }

  /** Namespaces with a limiter in memory (the rest have full buckets). */
  get trackedNamespaces(): number {
    return this.#namespaces.size;
  }

  /** The quota that applies to a namespace. */
  quotaOf(namespace: string): Quota {
    return this.#limits.namespaces[namespace] ?? this.#limits.namespace;
  }

  #limiterOf(namespace: string, now: number): PriorityRateLimiter {
    let limiter = this.#namespaces.get(namespace);
    if (!limiter) {
      // Requests name any namespace they like; forget the ones whose buckets are full again so
      // made-up names cannot grow this map without bound.
      // At most one sweep a second, so a flood of new names does not make every call a scan.
      if (this.#namespaces.size >= SWEEP_ABOVE && now - this.#sweptAt >= 1000) {
        this.#sweptAt = now;
        for (const [name, l] of this.#namespaces) if (l.idle(now)) this.#namespaces.delete(name);
      }
      limiter = new PriorityRateLimiter(this.quotaOf(namespace), now);
      this.#namespaces.set(namespace, limiter);
    }
    return limiter;
  }
}
