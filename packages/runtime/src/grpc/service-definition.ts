import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { PRE_ENCODED_FIELDS, encodeProtoMessage, type PreEncodedFields, type ProtoMessageType } from '@chasm/core';
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
    const resType = res as unknown as ProtoMessageType;
    const definition: MethodDefinition<object, object> = {
      path,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value) => toBuffer(req.encode(req.fromObject(value as Record<string, unknown>)).finish()),
      requestDeserialize: (bytes) => decodeRequest(req, bytes),
      responseSerialize: (value) => {
        // `res.encode(res.fromObject(value))`, by the fields the response has (ADR 0068).
        const encoded = encodeProtoMessage(resType, value);
        const pre = (value as { [PRE_ENCODED_FIELDS]?: PreEncodedFields })[PRE_ENCODED_FIELDS];
        return pre === undefined ? toBuffer(encoded) : appendFields(res.fields, encoded, pre);
      },
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

/**
 * A request whose bytes are not a valid message of its type (truncated, or a string that is not
 * UTF-8). grpc-js answers INTERNAL when a deserializer throws; that is the caller's mistake, so
 * the deserializer returns this instead and the call handler answers INVALID_ARGUMENT.
 */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

function decodeRequest(type: { decode(bytes: Uint8Array): object }, bytes: Buffer): object {
  try {
    return type.decode(bytes);
  } catch (e) {
    return new MalformedRequest((e as Error).message);
  }
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

/**
 * Appends pre-encoded message fields (see PRE_ENCODED_FIELDS in @chasm/core): protobuf allows
 * fields in any order, so `tag, length, bytes` after the rest is the same message.
 */
function appendFields(fields: Readonly<Record<string, { id: number }>>, encoded: Uint8Array, pre: PreEncodedFields): Buffer {
  const parts: Uint8Array[] = [encoded];
  for (const [name, bytes] of Object.entries(pre)) {
    const field = fields[name];
    if (field === undefined) throw new Error(`pre-encoded field ${name} is not a field of the response`);
    parts.push(varint((field.id << 3) | 2), varint(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}
