import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';

/** Thrown inside a guarded call when the destination looks down (timeouts, unavailable handlers): what trips a breaker. */
export class DestinationDownError extends Error {}

export interface CircuitBreakerSettings {
  /** Consecutive destination-down failures that open the circuit. */
  readonly consecutiveFailures: number;
  /** How long it stays open before one trial call is let through. */
  readonly openMs: number;
}

/**
 * One circuit breaker per endpoint (reference C.3: "errors that mark the destination as down trip
 * a circuit breaker for that endpoint"). cockatiel's breaker (ADR 0013): consecutive failures
 * open it, a trial call after `openMs` closes it again. Per node, in memory, as in Temporal.
 */
export class EndpointCircuitBreakers {
  readonly #byEndpoint = new Map<string, CircuitBreakerPolicy>();

  constructor(private readonly settings: CircuitBreakerSettings) {}

  /**
   * Runs `call` through the endpoint's breaker. Resolves to undefined, without calling, while the
   * circuit is open (the caller retries later); a DestinationDownError from `call` counts against it.
   */
  async run<T>(endpointId: string, call: () => Promise<T>): Promise<{ readonly value: T } | undefined> {
    try {
      return { value: await this.#policy(endpointId).execute(call) };
    } catch (e) {
      if (e instanceof BrokenCircuitError) return undefined;
      throw e;
    }
  }

  isOpen(endpointId: string): boolean {
    return this.#byEndpoint.get(endpointId)?.state === CircuitState.Open;
  }

  #policy(endpointId: string): CircuitBreakerPolicy {
    let p = this.#byEndpoint.get(endpointId);
    if (!p) {
      p = circuitBreaker(handleWhen((e) => e instanceof DestinationDownError), {
        halfOpenAfter: this.settings.openMs,
        breaker: new ConsecutiveBreaker(this.settings.consecutiveFailures),
      });
      this.#byEndpoint.set(endpointId, p);
    }
    return p;
  }
}
