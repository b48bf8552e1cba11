import type { RpcHandlerSet, RpcMethod } from '@chasm/core';
import type { ServedMethod } from './service-definition.js';

export interface RoutedMethod {
  readonly handler: RpcMethod;
}

/** A start-up error in how packages contributed handlers. */
export class HandlerTableError extends Error {
  override readonly name = 'HandlerTableError';
}

/**
 * Routes `service/method` to one implementation. Package handler sets come first; two sets
 * providing the same method is a start-up error (there is no silent override). A method no set
 * provides answers UNIMPLEMENTED, polls included. A set naming a service or method
 * the protos do not define is also a start-up error: it is a typo that would otherwise never fire.
 */
export function buildHandlerTable(
  served: readonly ServedMethod[],
  sets: readonly RpcHandlerSet[],
): Map<string, RoutedMethod> {
  const known = new Set(served.map((m) => key(m.service, m.method)));
  const services = new Set(served.map((m) => m.service));
  const table = new Map<string, RoutedMethod>();
  const owner = new Map<string, number>();
  sets.forEach((set, index) => {
    if (!services.has(set.service)) {
      throw new HandlerTableError(`RPC handler set #${index} targets unknown service '${set.service}'`);
    }
    for (const [method, handler] of Object.entries(set.methods)) {
      const k = key(set.service, method);
      if (!known.has(k)) throw new HandlerTableError(`RPC handler set #${index} provides unknown method ${shortName(k)}`);
      const previous = owner.get(k);
      if (previous !== undefined) {
        throw new HandlerTableError(
          `${shortName(k)} is provided by two RPC handler sets (#${previous} and #${index}); exactly one package may implement a method`,
        );
      }
      owner.set(k, index);
      table.set(k, { handler });
    }
  });
  return table;
}

export function key(service: string, method: string): string {
  return `${service}/${method}`;
}

/** 'temporal.api.workflowservice.v1.WorkflowService/X' -> 'WorkflowService/X'. */
export function shortName(k: string): string {
  const slash = k.indexOf('/');
  const service = k.slice(0, slash);
  return service.slice(service.lastIndexOf('.') + 1) + k.slice(slash);
}
