import { createRequire } from 'node:module';
import type * as TemporalProto from '@temporalio/proto';
import type { google, temporal } from '@temporalio/proto';

/**
 * The Temporal API as the protobufjs root in `@temporalio/proto`. It is CommonJS with a computed
 * export, so Node's ESM loader cannot see named exports: load it with `require`.
 */
const require = createRequire(import.meta.url);
const proto = require('@temporalio/proto') as typeof TemporalProto;
export type { google, temporal };

export const api = proto.temporal.api;
export const Enums = proto.temporal.api.enums.v1;
export const Stage = Enums.UpdateWorkflowExecutionLifecycleStage;
export type Long = NonNullable<google.protobuf.ITimestamp['seconds']>;

export type UpdateRequest = temporal.api.update.v1.IRequest;
export type UpdateOutcome = temporal.api.update.v1.IOutcome;
export type Failure = temporal.api.failure.v1.IFailure;

/** int64 fields: protobufjs encodes plain numbers as well as Longs; ours all fit in a double. */
export function long(n: number): Long {
  return n as unknown as Long;
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';
export const typeUrl = (fullName: string): string => TYPE_URL_PREFIX + fullName;

/** The message type name inside an Any's type_url ('' when absent). */
export function anyTypeName(body: google.protobuf.IAny | null | undefined): string {
  const url = body?.type_url ?? '';
  return url.slice(url.lastIndexOf('/') + 1);
}

export const encodeRequest = (r: UpdateRequest): Uint8Array => api.update.v1.Request.encode(r).finish();
export const decodeRequest = (b: Uint8Array): temporal.api.update.v1.Request => api.update.v1.Request.decode(b);
export const encodeOutcome = (o: UpdateOutcome): Uint8Array => api.update.v1.Outcome.encode(o).finish();
export const decodeOutcome = (b: Uint8Array): temporal.api.update.v1.Outcome => api.update.v1.Outcome.decode(b);
