import { temporalProto, type google, type temporal } from '@chasm/matching';

/**
 * The parts of the Temporal API this package uses. The protobufjs root and the shared
 * conversions (`long`, time, payloads) are @chasm/matching's.
 */
export type { google, temporal };

export const api = temporalProto.temporal.api;
export const Enums = temporalProto.temporal.api.enums.v1;
export const Stage = Enums.UpdateWorkflowExecutionLifecycleStage;
export type Long = NonNullable<google.protobuf.ITimestamp['seconds']>;

export type UpdateRequest = temporal.api.update.v1.IRequest;
export type UpdateOutcome = temporal.api.update.v1.IOutcome;
export type Failure = temporal.api.failure.v1.IFailure;

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
