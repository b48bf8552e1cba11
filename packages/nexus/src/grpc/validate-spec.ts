import { ChasmError, ErrorCode, type NamespaceResolver } from '@chasm/core';
import { invalidField } from '../errors.js';
import type { NexusConfig } from '../config.js';
import type { EndpointDescription, EndpointSpec, EndpointTarget } from '../endpoints/endpoint.js';
import { temporalProto, type temporal } from '../proto.js';

/**
 * Endpoint names: Temporal's current rule (frontend `EndpointNameRegex`): a letter first, then
 * letters, digits and dashes, not ending in a dash. Earlier Temporal releases allowed
 * `[a-zA-Z_][a-zA-Z0-9_]*`; the SDKs' own test suites create dashed names, so we follow the
 * current rule (ADR 0011).
 */
export const ENDPOINT_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/;
const RESERVED_TASK_QUEUE_PREFIX = '/_sys/';

type Limits = Pick<NexusConfig, 'maxNameLength' | 'maxDescriptionBytes' | 'maxUrlLength' | 'maxTaskQueueLength'>;

/**
 * Validates the `spec` of CreateNexusEndpoint / UpdateNexusEndpoint into an `EndpointSpec`.
 * Throws InvalidArgumentError naming the first bad field, before anything is written. Unlike
 * Temporal (FAILED_PRECONDITION), an unknown target namespace is INVALID_ARGUMENT on
 * `spec.target.worker.namespace`: it is a bad value in the request, and the caller fixes the
 * request, not the server's state.
 */
export async function validateSpec(
  spec: temporal.api.nexus.v1.IEndpointSpec | null | undefined,
  limits: Limits,
  namespaces: NamespaceResolver,
): Promise<EndpointSpec> {
  if (!spec) throw invalidField('spec', 'endpoint spec not set');
  const name = validateName(spec.name ?? '', limits.maxNameLength);
  const description = validateDescription(spec.description, limits.maxDescriptionBytes);
  const target = await validateTarget(spec.target, limits, namespaces);
  return { name, description, target };
}

export function validateName(name: string, maxLength: number): string {
  if (name === '') throw invalidField('spec.name', 'endpoint name not set');
  if (name.length > maxLength) throw invalidField('spec.name', `endpoint name exceeds length limit of ${maxLength}`);
  if (!ENDPOINT_NAME_PATTERN.test(name)) {
    throw invalidField('spec.name', `endpoint name must match the regex: "${ENDPOINT_NAME_PATTERN.source}"`);
  }
  return name;
}

function validateDescription(d: temporal.api.common.v1.IPayload | null | undefined, maxBytes: number): EndpointDescription | undefined {
  if (!d) return undefined;
  const size = temporalProto.temporal.api.common.v1.Payload.encode(d).finish().length;
  if (size > maxBytes) throw invalidField('spec.description', `description size exceeds limit of ${maxBytes}`);
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(d.metadata ?? {})) metadata[k] = new Uint8Array(v);
  return { metadata, data: new Uint8Array(d.data ?? []) };
}

async function validateTarget(
  target: temporal.api.nexus.v1.IEndpointTarget | null | undefined,
  limits: Limits,
  namespaces: NamespaceResolver,
): Promise<EndpointTarget> {
  if (target?.worker) {
    const namespace = target.worker.namespace ?? '';
    if (namespace === '') throw invalidField('spec.target.worker.namespace', 'target namespace not set');
    const taskQueue = validateTaskQueue(target.worker.taskQueue ?? '', limits.maxTaskQueueLength);
    const namespaceId = await namespaceIdOf(namespaces, namespace);
    return { kind: 'worker', namespaceId, namespace, taskQueue };
  }
  if (target?.external) return { kind: 'external', url: validateUrl(target.external.url ?? '', limits.maxUrlLength) };
  throw invalidField('spec.target', 'empty target variant: set worker or external');
}

function validateTaskQueue(taskQueue: string, maxLength: number): string {
  const field = 'spec.target.worker.task_queue';
  if (taskQueue === '') throw invalidField(field, 'task queue name not set');
  if (taskQueue.length > maxLength) throw invalidField(field, `task queue name exceeds length limit of ${maxLength}`);
  if (taskQueue.startsWith(RESERVED_TASK_QUEUE_PREFIX)) {
    throw invalidField(field, `task queue name cannot start with reserved prefix ${RESERVED_TASK_QUEUE_PREFIX}`);
  }
  return taskQueue;
}

function validateUrl(url: string, maxLength: number): string {
  const field = 'spec.target.external.url';
  if (url === '') throw invalidField(field, 'empty target URL');
  if (url.length > maxLength) throw invalidField(field, `target URL length exceeds limit of ${maxLength}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidField(field, `invalid target URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidField(field, `invalid target URL scheme: "${parsed.protocol.replace(/:$/, '')}", expected http or https`);
  }
  return url;
}

async function namespaceIdOf(namespaces: NamespaceResolver, name: string): Promise<string> {
  try {
    return await namespaces.idOf(name);
  } catch (e) {
    if (ChasmError.is(e) && e.code === ErrorCode.NotFound) {
      throw invalidField('spec.target.worker.namespace', `namespace ${JSON.stringify(name)} not found`);
    }
    throw e;
  }
}
