import { ChasmError, ErrorCode, type NamespaceResolver } from '@chasm/core';
import { msToTimestamp, type Timestamp } from '@chasm/matching';
import { endpointUrlPrefix, type EndpointTarget, type NexusEndpoint } from '../endpoints/endpoint.js';

/**
 * `temporal.api.nexus.v1.Endpoint` as a plain object: responses go through the message's
 * `fromObject`, which takes Timestamp fields as `{ seconds, nanos }`.
 */
export interface EndpointMessage {
  readonly id: string;
  readonly version: number;
  readonly createdTime: Timestamp;
  readonly lastModifiedTime?: Timestamp;
  readonly urlPrefix: string;
  readonly spec: {
    readonly name: string;
    readonly description?: { readonly metadata: Record<string, Uint8Array>; readonly data: Uint8Array };
    readonly target: TargetMessage;
  };
}
type TargetMessage = { readonly worker: { readonly namespace: string; readonly taskQueue: string } } | { readonly external: { readonly url: string } };
/**
 * An endpoint as `temporal.api.nexus.v1.Endpoint`. As in Temporal, `last_modified_time` is set
 * only once the endpoint has been updated (version > 1), and a worker target shows the
 * namespace's current name (the record keeps its id).
 */
export async function renderEndpoint(e: NexusEndpoint, namespaces: NamespaceResolver): Promise<EndpointMessage> {
  return {
    id: e.id,
    version: e.version,
    createdTime: msToTimestamp(e.createdAt),
    ...(e.version > 1 ? { lastModifiedTime: msToTimestamp(e.updatedAt) } : {}),
    urlPrefix: endpointUrlPrefix(e.id),
    spec: {
      name: e.name,
      ...(e.description ? { description: { metadata: { ...e.description.metadata }, data: e.description.data } } : {}),
      target: await renderTarget(e.target, namespaces),
    },
  };
}

async function renderTarget(t: EndpointTarget, namespaces: NamespaceResolver): Promise<TargetMessage> {
  if (t.kind === 'external') return { external: { url: t.url } };
  return { worker: { namespace: await namespaceName(t.namespaceId, t.namespace, namespaces), taskQueue: t.taskQueue } };
}

/** The namespace's name now; the name it had when the target was written if it is gone. */
async function namespaceName(id: string, fallback: string, namespaces: NamespaceResolver): Promise<string> {
  try {
    return await namespaces.nameOf(id);
  } catch (e) {
    if (ChasmError.is(e) && e.code === ErrorCode.NotFound) return fallback;
    throw e;
  }
}
