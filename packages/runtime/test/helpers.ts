import { Client, credentials, status as GrpcStatus, type ChannelOptions } from '@grpc/grpc-js';
import { expect } from 'vitest';
import { proto, type google } from '../src/grpc/proto-root.js';
import { serviceMethods } from '../src/grpc/service-definition.js';
import { decodeStatusDetails } from '../src/grpc/status-details.js';

/** Runs `fn`, expects a gRPC error with `code`, and returns it. */
export async function grpcError(fn: () => Promise<unknown>, code: GrpcStatus): Promise<GrpcErrorLike> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a gRPC error').toBeDefined();
  const err = caught as GrpcErrorLike;
  expect({ code: GrpcStatus[err.code] ?? err.code, details: err.details }).toMatchObject({ code: GrpcStatus[code] });
  return err;
}

export interface GrpcErrorLike {
  code: number;
  details: string;
  metadata: { get(key: string): (string | Buffer)[] };
}

/** The Temporal error details a gRPC error carries in `grpc-status-details-bin`. */
export function statusDetails(err: GrpcErrorLike): { type: string; value: Record<string, unknown> }[] {
  const [bin] = err.metadata.get('grpc-status-details-bin');
  return bin && typeof bin !== 'string' ? decodeStatusDetails(bin) : [];
}

/**
 * One unary call with a bare grpc-js client (no SDK retry layer), for statuses the SDK client
 * would retry (RESOURCE_EXHAUSTED, UNAVAILABLE).
 */
export async function rawUnaryCall(
  address: string,
  service: string,
  method: string,
  request: object,
  options: ChannelOptions = {},
): Promise<object> {
  const served = serviceMethods(service).find((m) => m.method === method);
  if (!served) throw new Error(`no method ${service}/${method}`);
  const client = new Client(address, credentials.createInsecure(), options);
  try {
    return await new Promise<object>((resolve, reject) =>
      client.makeUnaryRequest(
        served.path,
        served.definition.requestSerialize,
        served.definition.responseDeserialize,
        request,
        (err, res) => (err ? reject(err) : resolve(res ?? {})),
      ),
    );
  } finally {
    client.close();
  }
}

/** A google.protobuf.Duration (int64 seconds are Long in the SDK's generated types). */
export function seconds(n: number): google.protobuf.Duration {
  return proto.google.protobuf.Duration.fromObject({ seconds: n });
}

/** One unary call whose request is the given bytes as they are (to send what no client would encode). */
export async function rawBytesCall(address: string, service: string, method: string, bytes: Buffer): Promise<object> {
  const served = serviceMethods(service).find((m) => m.method === method);
  if (!served) throw new Error(`no method ${service}/${method}`);
  const client = new Client(address, credentials.createInsecure());
  try {
    return await new Promise<object>((resolve, reject) =>
      client.makeUnaryRequest(
        served.path,
        (b: Buffer) => b,
        served.definition.responseDeserialize,
        bytes,
        (err, res) => (err ? reject(err) : resolve(res ?? {})),
      ),
    );
  } finally {
    client.close();
  }
}
