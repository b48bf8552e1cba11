import { FailedPreconditionError, NotFoundError, type NamespacePurgeStep, type NamespaceResolver } from '@chasm/core';
import type { EndpointStore } from './endpoint-store.js';

/**
 * Nexus's part in DeleteNamespace (ADR 0036), as Temporal's delete-namespace workflow does it
 * (ValidateNexusEndpointsActivity): a namespace that an endpoint targets is not deleted unless
 * `allowDeleteNamespaceIfEndpointTarget` is set (Temporal's
 * frontend.allowDeleteNamespaceIfNexusEndpointTarget, default false). When it is allowed, the
 * endpoints stay (they are cluster-wide) and requests to them fail as the namespace is gone.
 * Nothing else is removed here: standalone Nexus operations are CHASM executions of the
 * namespace, deleted with the others.
 */
export function endpointTargetGuard(store: EndpointStore, allowDeleteTarget: boolean): NamespacePurgeStep {
  return {
    name: 'nexus',
    async checkDelete(namespace) {
      if (allowDeleteTarget) return;
      const target = (await store.all()).find((e) => e.target.kind === 'worker' && e.target.namespaceId === namespace.id);
      if (target) throw new FailedPreconditionError(`cannot delete a namespace that is a target of a Nexus endpoint ${target.name}`);
    },
    purge: async () => 0,
  };
}

/**
 * Whether a target namespace id was deleted: its name (renamed `…-deleted-…` by the delete) no
 * longer resolves to it, or the id is unknown. Both lookups hit the resolver's cache for a live
 * namespace, so a dispatch pays two map lookups.
 */
export async function namespaceGone(namespaces: NamespaceResolver, namespaceId: string): Promise<boolean> {
  try {
    return (await namespaces.idOf(await namespaces.nameOf(namespaceId))) !== namespaceId;
  } catch (e) {
    if (e instanceof NotFoundError) return true;
    throw e;
  }
}
