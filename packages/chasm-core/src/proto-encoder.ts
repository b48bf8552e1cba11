/**
 * Encodes protobufjs messages by the fields they have, not by the fields their type has (issue 16,
 * ADR 0068). `encodeProtoMessage(type, value)` writes the bytes of
 * `type.encode(type.fromObject(value)).finish()`.
 *
 * protobufjs' generated encoders test every field of their type on every message
 * (`m.f != null && hasOwnProperty(m, f)`, then a proto3 default check): ~70 for a history event,
 * ~60 of them the members of its `attributes` oneof of which one is set. On a server one such
 * function sees messages of every shape, so its property loads go megamorphic: encoding history
 * was 6.7 % of the server's busy samples at 200 callers where a warm micro-benchmark of the same
 * batches took a tenth of the time; `fromObject` (the gRPC responses' plain objects) probes the
 * same way and copies every message. Here a message's own keys (a handful) are looked up in plans
 * built once per type from its reflection, and each present field is written exactly as the
 * generated encoder writes it (proto3 defaults skipped, nested messages length-delimited, fields
 * in number order): the same bytes.
 *
 * A message this cannot write as `fromObject` would see it — a key that is no field (unknown
 * fields, a typo), a field kind not covered (packed numbers, 64-bit variants other than int64,
 * float), a value not already in its canonical form (an enum by name, an int64 or bytes as a
 * string) — is handed whole to `type.encode(type.fromObject(value))`, so the bytes cannot differ,
 * only the speed. protobufjs is not a dependency of this package: the types come from the caller.
 */

/** The protobufjs writer of the caller's runtime (what its generated encoders take). */
export interface ProtoWriter {
  uint32(value: number): ProtoWriter;
  int32(value: number): ProtoWriter;
  int64(value: number | object): ProtoWriter;
  bool(value: boolean): ProtoWriter;
  double(value: number): ProtoWriter;
  string(value: string): ProtoWriter;
  bytes(value: Uint8Array): ProtoWriter;
  fork(): ProtoWriter;
  ldelim(): ProtoWriter;
  finish(): Uint8Array;
}

/** The slice of protobufjs reflection this reads (a `Type` at run time). */
export interface ProtoMessageType {
  readonly fieldsArray: readonly ProtoField[];
  encode(message: object, writer?: ProtoWriter, depth?: number): ProtoWriter;
  fromObject(object: object, depth?: number): object;
  setup?(): unknown;
}

interface ProtoField {
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly repeated: boolean;
  readonly map?: boolean;
  readonly keyType?: string;
  readonly resolvedType: ProtoMessageType | { readonly values: object } | null;
}

interface Plan {
  readonly id: number;
  /** Whether `fromObject` would keep `v` as it is (so it can be written as it is). */
  readonly accepts: (v: unknown) => boolean;
  /** Writes the field when the generated encoder would (it skips proto3 defaults). */
  readonly write: (w: ProtoWriter, v: unknown, depth: number) => void;
}

/** Per message type: its fields by name, or null where a field kind is not covered here. */
type TypePlans = ReadonlyMap<string, Plan | null>;

/** Deeper than this, the generated code takes over (and enforces protobufjs' recursion limit). */
const MAX_DEPTH = 32;

const isMessageType = (t: ProtoField['resolvedType']): t is ProtoMessageType =>
  t !== null && typeof (t as Partial<ProtoMessageType>).encode === 'function';
const isObject = (v: unknown): v is object => v !== null && typeof v === 'object';
const isNumber = (v: unknown): boolean => typeof v === 'number';
/** A number, or a Long (the only objects protobufjs' int64 fields hold). */
const isInt64 = (v: unknown): boolean => typeof v === 'number' || (isObject(v) && typeof (v as { low?: unknown }).low === 'number');
const isBytes = (v: unknown): boolean => v instanceof Uint8Array;

/** int64 zero as the generated encoder tests it: a Long with no bits, or the number 0. */
function isZeroInt64(v: unknown): boolean {
  if (typeof v === 'object') {
    const l = v as { low: number; high: number };
    return !(l.low || l.high);
  }
  return v === 0;
}

function planFor(f: ProtoField): Plan | null {
  const t = f.resolvedType;
  const id = f.id;
  const delimited = ((id << 3) | 2) >>> 0;
  if (f.map) return mapPlan(f, delimited);
  if (isMessageType(t)) {
    // The nested type's plans, looked up at first use (types refer to each other in cycles).
    let plans: TypePlans | undefined;
    if (f.repeated) {
      return {
        id,
        accepts: Array.isArray,
        write: (w, v, depth) => {
          plans ??= plansOf(t);
          for (const el of v as readonly unknown[]) writeMessage(t, plans, el, w.uint32(delimited).fork(), depth + 1).ldelim();
        },
      };
    }
    return { id, accepts: isObject, write: (w, v, depth) => void writeMessage(t, (plans ??= plansOf(t)), v, w.uint32(delimited).fork(), depth + 1).ldelim() };
  }
  const varint = (id << 3) >>> 0;
  if (f.repeated) {
    if (f.type !== 'string') return null;
    return {
      id,
      accepts: (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
      write: (w, v) => {
        for (const el of v as readonly string[]) w.uint32(delimited).string(el);
      },
    };
  }
  // An enum: int32 unless 0 (by number only; a name is fromObject's to translate).
  if (t !== null) return { id, accepts: isNumber, write: (w, v) => void (v !== 0 && w.uint32(varint).int32(v as number)) };
  switch (f.type) {
    case 'int64':
      return { id, accepts: isInt64, write: (w, v) => void (isZeroInt64(v) || w.uint32(varint).int64(v as number)) };
    case 'int32':
      return { id, accepts: (v) => typeof v === 'number' && (v | 0) === v, write: (w, v) => void (v !== 0 && w.uint32(varint).int32(v as number)) };
    case 'uint32':
      return { id, accepts: (v) => typeof v === 'number' && v >>> 0 === v, write: (w, v) => void (v !== 0 && w.uint32(varint).uint32(v as number)) };
    case 'bool':
      return { id, accepts: (v) => typeof v === 'boolean', write: (w, v) => void (v !== false && w.uint32(varint).bool(v as boolean)) };
    case 'string':
      return { id, accepts: (v) => typeof v === 'string', write: (w, v) => void (v !== '' && w.uint32(delimited).string(v as string)) };
    case 'bytes':
      return { id, accepts: isBytes, write: (w, v) => void ((v as Uint8Array).length && w.uint32(delimited).bytes(v as Uint8Array)) };
    case 'double': {
      const fixed64 = ((id << 3) | 1) >>> 0;
      return { id, accepts: isNumber, write: (w, v) => void (Object.is(v, 0) || w.uint32(fixed64).double(v as number)) };
    }
    default:
      return null;
  }
}

/** `map<string, bytes | string | message>`: one entry message per key, values written even when empty. */
function mapPlan(f: ProtoField, tag: number): Plan | null {
  if (f.keyType !== 'string') return null;
  const t = f.resolvedType;
  /** A plain object whose every value passes `test` (no array built: maps sit in every payload). */
  const mapOf = (test: (x: unknown) => boolean) => (v: unknown): boolean => {
    if (!isObject(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
    for (const k in v) if (!test((v as Record<string, unknown>)[k])) return false;
    return true;
  };
  if (isMessageType(t)) {
    let plans: TypePlans | undefined;
    return {
      id: f.id,
      accepts: mapOf(isObject),
      write: (w, v, depth) => {
        plans ??= plansOf(t);
        const map = v as Record<string, unknown>;
        for (const k of Object.keys(map)) writeMessage(t, plans, map[k], w.uint32(tag).fork().uint32(10).string(k).uint32(18).fork(), depth + 1).ldelim().ldelim();
      },
    };
  }
  if (t !== null) return null;
  // bytes or string values, each written as it is (even when empty).
  const scalar =
    f.type === 'bytes' ? { test: isBytes, put: (w: ProtoWriter, x: unknown) => w.bytes(x as Uint8Array) }
    : f.type === 'string' ? { test: (x: unknown) => typeof x === 'string', put: (w: ProtoWriter, x: unknown) => w.string(x as string) }
    : undefined;
  if (!scalar) return null;
  return {
    id: f.id,
    accepts: mapOf(scalar.test),
    write: (w, v) => {
      const map = v as Record<string, unknown>;
      for (const k of Object.keys(map)) scalar.put(w.uint32(tag).fork().uint32(10).string(k).uint32(18), map[k]).ldelim();
    },
  };
}

const typePlans = new WeakMap<ProtoMessageType, TypePlans>();
function plansOf(type: ProtoMessageType): TypePlans {
  const known = typePlans.get(type);
  if (known) return known;
  type.setup?.();
  const m = new Map<string, Plan | null>();
  for (const f of type.fieldsArray) m.set(f.name, planFor(f));
  typePlans.set(type, m);
  return m;
}

/**
 * Scratch space per depth for the present fields of the message being written (plans and values
 * side by side, sorted by field number): encoding is synchronous and re-enters only one level
 * deeper, so each depth's arrays are reused instead of allocating per message.
 */
const scratchPlans: Plan[][] = [];
const scratchValues: unknown[][] = [];

/** Writes the fields of `m` into `w` (already forked for it when nested), as the generated code would. */
function writeMessage(type: ProtoMessageType, plans: TypePlans, m: unknown, w: ProtoWriter, depth: number): ProtoWriter {
  if (depth > MAX_DEPTH || !isObject(m)) return type.encode(type.fromObject(m as object, depth), w, depth);
  const ps = (scratchPlans[depth] ??= []);
  const vs = (scratchValues[depth] ??= []);
  const record = m as Record<string, unknown>;
  let n = 0;
  for (const k of Object.keys(m)) {
    const v = record[k];
    if (v === null || v === undefined) continue;
    const plan = plans.get(k);
    if (!plan || !plan.accepts(v)) {
      vs.fill(undefined, 0, n);
      return type.encode(type.fromObject(m, depth), w, depth);
    }
    if (Array.isArray(v) && v.length === 0) continue;
    // Insertion by field number: a handful of fields, nearly always in order already.
    let j = n - 1;
    while (j >= 0 && ps[j]!.id > plan.id) {
      ps[j + 1] = ps[j]!;
      vs[j + 1] = vs[j];
      j--;
    }
    ps[j + 1] = plan;
    vs[j + 1] = v;
    n++;
  }
  for (let i = 0; i < n; i++) {
    ps[i]!.write(w, vs[i], depth);
    // Not kept alive by the scratch space once written.
    vs[i] = undefined;
  }
  return w;
}

/**
 * `type.encode(type.fromObject(value)).finish()`, by the fields `value` has: a message instance, or
 * a plain object in canonical form (numbers or Longs for int64, numbers for enums, Uint8Array for
 * bytes); anything else takes protobufjs' own path for the message that holds it.
 */
export function encodeProtoMessage(type: ProtoMessageType, value: object): Uint8Array {
  // An empty message's encode hands back a writer of the caller's protobufjs runtime.
  const w = type.encode({});
  return writeMessage(type, plansOf(type), value, w, 0).finish();
}
