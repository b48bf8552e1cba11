import type { MethodDefinition, Server, ServerUnaryCall, ServerWritableStream, ServiceDefinition, sendUnaryData } from '@grpc/grpc-js';
import { lookupType } from './proto-root.js';

/** grpc.health.v1.HealthCheckResponse.ServingStatus, by name (the values on the wire). */
const SERVING_STATUS = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
export type ServingStatus = keyof typeof SERVING_STATUS;

const HEALTH = 'grpc.health.v1.Health';
const GRPC_STATUS_NOT_FOUND = 5;
const GRPC_STATUS_RESOURCE_EXHAUSTED = 8;
/** As grpc-health-check: List refuses to answer for more services than this. */
const LIST_LIMIT = 100;

/**
 * The standard gRPC health service (`grpc.health.v1.Health`: Check, Watch, List), as the
 * `grpc-health-check` package serves it, but encoded with the `@temporalio/proto` root the front
 * door already loads. That package parses its `.proto` file through `@grpc/proto-loader` at
 * import, which also builds protobufjs' descriptor reflection: ~0.15–0.4 s of every dev server's
 * start (ADR 0047). The Temporal root has Check and Watch's messages; List's response (a map of
 * statuses, newer than that root) is encoded here by hand.
 */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(status: ServingStatus) => void>>();

  constructor(initial: Readonly<Record<string, ServingStatus>>) {
    for (const [service, status] of Object.entries(initial)) this.statuses.set(service, status);
  }

  setStatus(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const watcher of this.watchers.get(service) ?? []) watcher(status);
  }

  addToServer(server: Server): void {
    server.addService(healthDefinition(), {
      check: (call: ServerUnaryCall<{ service?: string }, object>, callback: sendUnaryData<object>) => {
        const service = call.request.service ?? '';
        const status = this.statuses.get(service);
        if (status) callback(null, { status: SERVING_STATUS[status] });
        else callback({ code: GRPC_STATUS_NOT_FOUND, details: `Health status unknown for service ${service}` });
      },
      watch: (call: ServerWritableStream<{ service?: string }, object>) => {
        const service = call.request.service ?? '';
        const watcher = (status: ServingStatus): void => {
          call.write({ status: SERVING_STATUS[status] });
        };
        let set = this.watchers.get(service);
        if (!set) this.watchers.set(service, (set = new Set()));
        set.add(watcher);
        call.on('cancelled', () => set.delete(watcher));
        call.write({ status: SERVING_STATUS[this.statuses.get(service) ?? 'SERVICE_UNKNOWN'] });
      },
      list: (_call: ServerUnaryCall<object, Buffer>, callback: sendUnaryData<Buffer>) => {
        if (this.statuses.size > LIST_LIMIT) {
          callback({ code: GRPC_STATUS_RESOURCE_EXHAUSTED, details: 'Too many services to list.' });
          return;
        }
        callback(null, encodeList(this.statuses));
      },
    });
  }
}

function healthDefinition(): ServiceDefinition {
  const req = lookupType('grpc.health.v1.HealthCheckRequest');
  const res = lookupType('grpc.health.v1.HealthCheckResponse');
  const method = (name: string, responseStream: boolean): MethodDefinition<object, object> => ({
    path: `/${HEALTH}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: (value) => Buffer.from(req.encode(req.fromObject(value as Record<string, unknown>)).finish()),
    requestDeserialize: (bytes) => req.decode(bytes),
    responseSerialize: (value) => Buffer.from(res.encode(res.fromObject(value as Record<string, unknown>)).finish()),
    responseDeserialize: (bytes) => res.decode(bytes),
    originalName: name,
  });
  // HealthListRequest is empty (its bytes are ignored); the response is already encoded.
  const list: MethodDefinition<object, Buffer> = {
    path: `/${HEALTH}/List`,
    requestStream: false,
    responseStream: false,
    requestSerialize: () => Buffer.alloc(0),
    requestDeserialize: () => ({}),
    responseSerialize: (value) => value,
    responseDeserialize: (bytes) => bytes,
    originalName: 'List',
  };
  return { check: method('Check', false), watch: method('Watch', true), list } as ServiceDefinition;
}

/** HealthListResponse { map<string, HealthCheckResponse> statuses = 1; } on the wire. */
function encodeList(statuses: ReadonlyMap<string, ServingStatus>): Buffer {
  const parts: Buffer[] = [];
  for (const [service, status] of statuses) {
    const name = Buffer.from(service, 'utf8');
    // HealthCheckResponse { ServingStatus status = 1; }: tag 0x08, then the value (< 128).
    const value = Buffer.from([0x08, SERVING_STATUS[status]]);
    // The map entry: key = 1 (string), value = 2 (message).
    const entry = Buffer.concat([Buffer.from([0x0a]), varint(name.length), name, Buffer.from([0x12]), varint(value.length), value]);
    parts.push(Buffer.from([0x0a]), varint(entry.length), entry);
  }
  return Buffer.concat(parts);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}
