import { Counter, Gauge, type Registry } from 'prom-client';
import type { RpcClass } from '../limits/rpc-class.js';

/** Distinct namespace label values kept; the rest are counted under '_other'. */
const MAX_NAMESPACE_LABELS = 200;

/**
 * Admission metrics: calls refused RESOURCE_EXHAUSTED by the front door's limits (named like
 * Temporal's `service_errors_resource_exhausted`), and calls in flight per class.
 */
export class LimitMetrics {
  private readonly refused: Counter<'operation' | 'namespace' | 'resource_exhausted_cause' | 'resource_exhausted_scope'>;
  private readonly namespaces = new Set<string>();

  constructor(registry: Registry, inFlight: () => ReadonlyMap<RpcClass, number>) {
    this.refused = new Counter({
      name: 'service_errors_resource_exhausted',
      help: 'gRPC requests the front door refused with RESOURCE_EXHAUSTED (rate or concurrency limit), by cause and scope',
      labelNames: ['operation', 'namespace', 'resource_exhausted_cause', 'resource_exhausted_scope'],
      registers: [registry],
    });
    new Gauge({
      name: 'service_concurrent_requests',
      help: 'gRPC requests in flight, by admission class (system, poll, complete, start, other)',
      labelNames: ['rpc_class'],
      registers: [registry],
      collect() {
        for (const [cls, n] of inFlight()) this.set({ rpc_class: cls }, n);
      },
    });
  }

  refusedCall(operation: string, namespace: string | undefined, cause: string, scope: string): void {
    this.refused.inc({ operation, namespace: this.label(namespace), resource_exhausted_cause: cause, resource_exhausted_scope: scope });
  }

  /** Namespaces come from requests: cap the label's values so made-up names cannot grow the registry. */
  private label(namespace: string | undefined): string {
    if (namespace === undefined) return '';
    if (this.namespaces.has(namespace)) return namespace;
    if (this.namespaces.size >= MAX_NAMESPACE_LABELS) return '_other';
    this.namespaces.add(namespace);
    return namespace;
  }
}
