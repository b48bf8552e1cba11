import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { lookupService, type ProtoMethod } from './proto-root.js';

/** One method of a served service, with its codec. */
export interface ServedMethod {
  /** Short service name, as used in messages and metrics, e.g. 'WorkflowService'. */
  readonly serviceName: string;
  /** Fully qualified service, e.g. 'temporal.api.workflowservice.v1.WorkflowService'. */
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly streaming: boolean;
  readonly definition: MethodDefinition<object, object>;
}

/**
 * Builds a grpc-js service definition for every method of `service` from the protobufjs
 * reflection root. Requests arrive as decoded protobufjs messages; responses may be plain
 * objects (`fromObject` accepts numbers or strings for int64, enum names, nested objects).
 */
export function serviceMethods(service: string): ServedMethod[] {
  const svc = lookupService(service);
  const serviceName = service.slice(service.lastIndexOf('.') + 1);
  return Object.values(svc.methods).map((m: ProtoMethod) => {
    const method = m.resolve();
    const req = method.resolvedRequestType;
    const res = method.resolvedResponseType;
    if (!req || !res) throw new Error(`cannot resolve types of ${service}/${method.name}`);
    const path = `/${service}/${method.name}`;
    const definition: MethodDefinition<object, object> = {
      path,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value) => toBuffer(req.encode(req.fromObject(value as Record<string, unknown>)).finish()),
      requestDeserialize: (bytes) => req.decode(bytes),
      responseSerialize: (value) => toBuffer(res.encode(res.fromObject(value as Record<string, unknown>)).finish()),
      responseDeserialize: (bytes) => res.decode(bytes),
      originalName: method.name,
    };
    return {
      serviceName,
      service,
      method: method.name,
      path,
      streaming: definition.requestStream || definition.responseStream,
      definition,
    };
  });
}

/** The grpc-js `ServiceDefinition` for a list of methods of one service. */
export function toServiceDefinition(methods: readonly ServedMethod[]): ServiceDefinition {
  const def: Record<string, MethodDefinition<object, object>> = {};
  for (const m of methods) def[m.method] = m.definition;
  return def as ServiceDefinition;
}

/** protobufjs returns a Uint8Array view (often a Buffer already); wrap without copying. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
