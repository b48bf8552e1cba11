import { lookupType } from './proto-root.js';

/**
 * A Temporal error-details message (`temporal.api.errordetails.v1.*`) to send with a status.
 * SDKs decode these from the `grpc-status-details-bin` trailer to raise typed errors
 * (e.g. the TS client's NamespaceNotFoundError).
 */
export interface StatusDetail {
  /** Fully qualified message type, e.g. 'temporal.api.errordetails.v1.NotFoundFailure'. */
  readonly type: string;
  /** The message, as a plain object (camelCase field names, enum names as strings). */
  readonly value: Readonly<Record<string, unknown>>;
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Encodes a `google.rpc.Status` carrying `detail` as its single `Any`. */
export function encodeStatusDetails(code: number, message: string, detail: StatusDetail): Buffer {
  const type = lookupType(detail.type);
  const value = type.encode(type.fromObject({ ...detail.value })).finish();
  const status = lookupType('google.rpc.Status');
  const bytes = status
    .encode(status.fromObject({ code, message, details: [{ type_url: TYPE_URL_PREFIX + detail.type, value }] }))
    .finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes a `grpc-status-details-bin` value (tests and tools). */
export function decodeStatusDetails(bytes: Uint8Array): { type: string; value: Record<string, unknown> }[] {
  const status = lookupType('google.rpc.Status');
  const decoded = status.toObject(status.decode(bytes), { defaults: true }) as {
    details?: { type_url: string; value: Uint8Array }[];
  };
  return (decoded.details ?? []).map((any) => {
    const typeName = any.type_url.startsWith(TYPE_URL_PREFIX) ? any.type_url.slice(TYPE_URL_PREFIX.length) : any.type_url;
    const type = lookupType(typeName);
    return { type: typeName, value: type.toObject(type.decode(any.value), { enums: String, longs: Number, defaults: true }) };
  });
}
