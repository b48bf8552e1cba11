import { temporalProto, type google, type temporal } from '@chasm/matching';

/**
 * The parts of the Temporal API this package names often. The protobufjs root, time and payload
 * conversions are @chasm/matching's (shared by every package that speaks the API).
 */
export type { google, temporal };

export const api = temporalProto.temporal.api;
export const Enums = temporalProto.temporal.api.enums.v1;
export const EventType = Enums.EventType;
export const CommandType = Enums.CommandType;
export const HistoryEventMsg = temporalProto.temporal.api.history.v1.HistoryEvent;
export const HistoryMsg = temporalProto.temporal.api.history.v1.History;

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
export type Payloads = temporal.api.common.v1.IPayloads;
export type Payload = temporal.api.common.v1.IPayload;
export type Failure = temporal.api.failure.v1.IFailure;
export type Long = NonNullable<google.protobuf.ITimestamp['seconds']>;
export type WS = typeof temporal.api.workflowservice.v1;
export type Timestamp = google.protobuf.ITimestamp;
export type Duration = google.protobuf.IDuration;
