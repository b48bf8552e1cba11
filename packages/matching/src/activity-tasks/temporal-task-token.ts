import protobuf from 'protobufjs/minimal.js';
import { withFields } from '@chasm/core';

/**
 * Temporal's own activity task token: the server's `temporal.server.api.token.v1.Task` message
 * (proto/internal/temporal/server/api/token/v1/message.proto in temporalio/temporal). That proto
 * is internal to Temporal's server and not published, so the few fields are written and read by
 * hand with protobufjs's Writer/Reader. Field numbers are Temporal's:
 *
 *   1 namespace_id, 2 workflow_id, 3 run_id, 4 scheduled_event_id (int64), 5 attempt (int32),
 *   6 activity_id, 7 workflow_type, 8 activity_type, 9 clock (message), 10 started_event_id (int64),
 *   11 version (int64), 12 started_time (Timestamp), 13 component_ref (bytes).
 *
 * `clock` and `started_time` are never written and are skipped when read, like any unknown field.
 * `component_ref` carries what we need to find the exact attempt we issued (see activity-token.ts).
 */
export interface TemporalTaskToken {
  readonly namespaceId: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly scheduledEventId: number;
  readonly attempt: number;
  readonly activityId: string;
  readonly workflowType: string;
  readonly activityType: string;
  readonly startedEventId: number;
  readonly version: number;
  /** Absent on a token built by a tool from the ids alone. */
  readonly componentRef?: Uint8Array;
}

const F = {
  namespaceId: 1,
  workflowId: 2,
  runId: 3,
  scheduledEventId: 4,
  attempt: 5,
  activityId: 6,
  workflowType: 7,
  activityType: 8,
  startedEventId: 10,
  version: 11,
  componentRef: 13,
} as const;

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const tag = (field: number, wire: number): number => ((field << 3) | wire) >>> 0;

/** Encodes as Temporal does (proto3: default values are not written). */
export function encodeTemporalTaskToken(t: Partial<TemporalTaskToken> & { readonly namespaceId: string }): Uint8Array {
  const w = protobuf.Writer.create();
  const str = (field: number, v: string | undefined): void => {
    if (v) w.uint32(tag(field, WIRE_LEN)).string(v);
  };
  const int64 = (field: number, v: number | undefined): void => {
    if (v) w.uint32(tag(field, WIRE_VARINT)).int64(v);
  };
  str(F.namespaceId, t.namespaceId);
  str(F.workflowId, t.workflowId);
  str(F.runId, t.runId);
  int64(F.scheduledEventId, t.scheduledEventId);
  if (t.attempt) w.uint32(tag(F.attempt, WIRE_VARINT)).int32(t.attempt);
  str(F.activityId, t.activityId);
  str(F.workflowType, t.workflowType);
  str(F.activityType, t.activityType);
  int64(F.startedEventId, t.startedEventId);
  int64(F.version, t.version);
  if (t.componentRef && t.componentRef.length > 0) w.uint32(tag(F.componentRef, WIRE_LEN)).bytes(t.componentRef);
  return w.finish();
}

/** int64 as protobufjs reads it (a Long when the long package is there); event ids fit in a double. */
const toNumber = (v: number | protobuf.Long): number => (typeof v === 'number' ? v : protobuf.util.LongBits.from(v).toNumber());

/**
 * Decodes a `token.v1.Task`; undefined when the bytes are not one (bad wire data, a known field
 * with the wrong wire type, or no namespace id) — the caller answers INVALID_ARGUMENT.
 */
export function decodeTemporalTaskToken(bytes: Uint8Array): TemporalTaskToken | undefined {
  const out = {
    namespaceId: '',
    workflowId: '',
    runId: '',
    scheduledEventId: 0,
    attempt: 0,
    activityId: '',
    workflowType: '',
    activityType: '',
    startedEventId: 0,
    version: 0,
    componentRef: undefined as Uint8Array | undefined,
  };
  try {
    const r = protobuf.Reader.create(bytes);
    while (r.pos < r.len) {
      const t = r.uint32();
      const field = t >>> 3;
      const wire = t & 7;
      if (field === 0) return undefined;
      const expect = (w: number): void => {
        if (wire !== w) throw new Error('wire type');
      };
      switch (field) {
        case F.namespaceId: expect(WIRE_LEN); out.namespaceId = r.string(); break;
        case F.workflowId: expect(WIRE_LEN); out.workflowId = r.string(); break;
        case F.runId: expect(WIRE_LEN); out.runId = r.string(); break;
        case F.scheduledEventId: expect(WIRE_VARINT); out.scheduledEventId = toNumber(r.int64()); break;
        case F.attempt: expect(WIRE_VARINT); out.attempt = r.int32(); break;
        case F.activityId: expect(WIRE_LEN); out.activityId = r.string(); break;
        case F.workflowType: expect(WIRE_LEN); out.workflowType = r.string(); break;
        case F.activityType: expect(WIRE_LEN); out.activityType = r.string(); break;
        case F.startedEventId: expect(WIRE_VARINT); out.startedEventId = toNumber(r.int64()); break;
        case F.version: expect(WIRE_VARINT); out.version = toNumber(r.int64()); break;
        case F.componentRef: expect(WIRE_LEN); out.componentRef = r.bytes(); break;
        default: r.skipType(wire);
      }
    }
  } catch {
    return undefined;
  }
  if (!out.namespaceId) return undefined;
  const { componentRef, ...rest } = out;
  return componentRef && componentRef.length > 0 ? withFields(rest, { componentRef }) : rest;
}
