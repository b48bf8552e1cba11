import type { temporal } from '../proto.js';
import { HistoryEventMsg, HistoryMsg } from '../proto.js';

/**
 * A `History` encoder that visits only the fields a message has (issue 16, ADR 0068).
 *
 * protobufjs' generated encoders test every field of their type on every message
 * (`m.f != null && hasOwnProperty(m, f)`): ~70 for HistoryEvent, ~60 of them the members of the
 * `attributes` oneof of which one is set, ~40 for WorkflowExecutionStartedEventAttributes. On a
 * server the events of every type pass through the one HistoryEvent encoder, so its property
 * loads are megamorphic: the server's profile at 200 callers put 6.7 % of its busy samples in
 * encoding history, ~60 µs per batch, where a warm micro-benchmark of the same batches took
 * ~5 µs. Here a message's own keys (a handful) are looked up in plans built once per type from
 * its reflection, and each present field is written as the generated encoder writes it (proto3
 * defaults skipped, nested messages length-delimited, fields in number order): the same bytes.
 *
 * A message with a key no plan covers (a map, packed numbers, unknown fields, a field added by a
 * newer proto of a kind not handled here) is written by its generated encoder, so the bytes
 * cannot differ, only the speed.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
/** The protobufjs writer of @temporalio/proto's own runtime (what its generated encoders take). */
type Writer = ReturnType<typeof HistoryMsg.encode>;

/** The reflection protobufjs attaches at run time (@temporalio/proto's typings are static). */
interface ReflectedField {
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly repeated: boolean;
  readonly map?: boolean;
  readonly resolvedType: ReflectedType | { readonly values: object } | null;
}
interface ReflectedType {
  readonly ctor: abstract new (...args: never[]) => unknown;
  readonly fieldsArray: readonly ReflectedField[];
  encode(m: unknown, w: Writer, depth?: number): Writer;
  create(props: object): object;
  setup?(): unknown;
}

interface Plan {
  readonly id: number;
  /** Writes the field's value when the generated encoder would (it skips proto3 defaults). */
  readonly write: (w: Writer, v: unknown, depth: number) => void;
}

/** Per message type: its fields by name, or null where a field kind is not covered here. */
type TypePlans = ReadonlyMap<string, Plan | null>;

const eventType = HistoryEventMsg as unknown as ReflectedType;
/** Deeper than this, the generated encoder takes over (and enforces protobufjs' recursion limit). */
const MAX_DEPTH = 32;

const isMessageType = (t: ReflectedField['resolvedType']): t is ReflectedType => t !== null && typeof (t as Partial<ReflectedType>).encode === 'function';

/** int64 zero as the generated encoder tests it: a Long with no bits, or the number 0. */
function isZeroInt64(v: unknown): boolean {
  if (typeof v === 'object') {
    const l = v as { low: number; high: number };
    return !(l.low || l.high);
  }
  return v === 0;
}

/**
 * Plain objects (what the history writers build) become instances of their message type before
 * the generated encoder sees them: on plain objects, each of a different shape, every probe of an
 * absent field missed all the way up to Object.prototype (~50 µs for the start's two events in
 * an earlier profile); on an instance the miss stops at the prototype's default. A shallow copy:
 * payloads and nested messages are shared, and instances own only the fields that were set, so
 * the bytes are the same.
 */
function asInstance(type: ReflectedType, v: unknown): unknown {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype ? type.create(v) : v;
}

/** How the generated encoder writes one field, for the kinds HistoryEvent's tree uses most. */
function planFor(f: ReflectedField): Plan | null {
  if (f.map) return null;
  const t = f.resolvedType;
  const id = f.id;
  if (isMessageType(t)) {
    const tag = ((id << 3) | 2) >>> 0;
    // The nested type's plans, looked up at first use (types refer to each other in cycles).
    let plans: TypePlans | undefined;
    if (f.repeated) {
      return {
        id,
        write: (w, v, depth) => {
          plans ??= plansOf(t);
          for (const el of v as readonly unknown[]) encodeMessage(t, plans, el, w.uint32(tag).fork(), depth + 1).ldelim();
        },
      };
    }
    return { id, write: (w, v, depth) => void encodeMessage(t, (plans ??= plansOf(t)), v, w.uint32(tag).fork(), depth + 1).ldelim() };
  }
  const varint = (id << 3) >>> 0;
  if (f.repeated) {
    if (f.type !== 'string') return null;
    const tag = ((id << 3) | 2) >>> 0;
    return {
      id,
      write: (w, v) => {
        for (const el of v as readonly string[]) w.uint32(tag).string(el);
      },
    };
  }
  // An enum: int32 unless 0.
  if (t !== null) return { id, write: (w, v) => void (v !== 0 && w.uint32(varint).int32(v as number)) };
  switch (f.type) {
    case 'int64':
      return { id, write: (w, v) => void (isZeroInt64(v) || w.uint32(varint).int64(v as number)) };
    case 'int32':
      return { id, write: (w, v) => void (v !== 0 && w.uint32(varint).int32(v as number)) };
    case 'uint32':
      return { id, write: (w, v) => void (v !== 0 && w.uint32(varint).uint32(v as number)) };
    case 'bool':
      return { id, write: (w, v) => void (v !== false && w.uint32(varint).bool(v as boolean)) };
    case 'string': {
      const tag = ((id << 3) | 2) >>> 0;
      return { id, write: (w, v) => void (v !== '' && w.uint32(tag).string(v as string)) };
    }
    case 'bytes': {
      const tag = ((id << 3) | 2) >>> 0;
      return { id, write: (w, v) => void ((v as Uint8Array).length && w.uint32(tag).bytes(v as Uint8Array)) };
    }
    case 'double': {
      const tag = ((id << 3) | 1) >>> 0;
      return { id, write: (w, v) => void (Object.is(v, 0) || w.uint32(tag).double(v as number)) };
    }
    default:
      // Maps, packed numbers, 64-bit variants: the generated encoder writes the whole message.
      return null;
  }
}

const typePlans = new WeakMap<ReflectedType, TypePlans>();
function plansOf(type: ReflectedType): TypePlans {
  const known = typePlans.get(type);
  if (known) return known;
  type.setup?.();
  const m = new Map<string, Plan | null>();
  for (const f of type.fieldsArray) m.set(f.name, planFor(f));
  typePlans.set(type, m);
  return m;
}

interface Present {
  readonly plan: Plan;
  readonly value: unknown;
}

/** The fields `m` has, in field-number order, or undefined if one is not covered here. */
function presentFields(m: object, plans: TypePlans): Present[] | undefined {
  const out: Present[] = [];
  const record = m as Record<string, unknown>;
  for (const k of Object.keys(m)) {
    const v = record[k];
    if (v === null || v === undefined) continue;
    const plan = plans.get(k);
    if (!plan) return undefined;
    if (Array.isArray(v) && v.length === 0) continue;
    out.push({ plan, value: v });
  }
  // Insertion sort: a handful of fields, nearly always in order already.
  for (let i = 1; i < out.length; i++) {
    const x = out[i]!;
    let j = i - 1;
    while (j >= 0 && out[j]!.plan.id > x.plan.id) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = x;
  }
  return out;
}

/** Writes the fields of `m` (a plain object or an instance of `type`) into `w`, as `type.encode` would. */
function encodeMessage(type: ReflectedType, plans: TypePlans, m: unknown, w: Writer, depth: number): Writer {
  const fields = depth <= MAX_DEPTH && m !== null && typeof m === 'object' ? presentFields(m, plans) : undefined;
  if (!fields) return type.encode(asInstance(type, m), w, depth);
  for (const { plan, value } of fields) plan.write(w, value, depth);
  return w;
}

let eventPlans: TypePlans | undefined;

/** Events as one encoded `History` message, byte for byte what `HistoryMsg.encode` writes. */
export function encodeHistory(events: readonly HistoryEvent[]): Uint8Array {
  const w = HistoryMsg.encode({ events: [] });
  const plans = (eventPlans ??= plansOf(eventType));
  for (const ev of events) encodeMessage(eventType, plans, ev, w.uint32(10).fork(), 1).ldelim();
  return w.finish();
}
