import { fromProto3JSON } from 'proto3-json-serializer';
import { messageToProto3Json } from './message-to-json.js';
import { payloadFromShorthand, payloadToShorthand, type Json } from './payload-shorthand.js';
import { fieldByJsonName, fullNameOf, isEnum, resolvedTypeOf, type ReflectedEnum, type ReflectedField, type ReflectedType } from './proto-reflection.js';

/**
 * Temporal's JSON mapping of API messages: proto3 JSON (lowerCamelCase names, int64 as strings,
 * enums by name, bytes in base64, Duration/Timestamp/FieldMask as strings), read by
 * proto3-json-serializer on the protobufjs types and written by message-to-json.ts, plus what Temporal's marshaler adds around it:
 * the payload shorthand (see payload-shorthand.ts), enum values also accepted in their old
 * short form (`AllowDuplicate` for WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE), and strict input
 * (an unknown field, a value of the wrong JSON type or an unknown enum name is refused, naming
 * the field) so that a typo is a 400 rather than a silently ignored setting.
 */

/** Bad JSON for the message; `message` names the field (`workflowType.name: expected a string`). */
export class JsonMappingError extends Error {
  override readonly name = 'JsonMappingError';
}

const PAYLOAD = '.temporal.api.common.v1.Payload';
const PAYLOADS = '.temporal.api.common.v1.Payloads';
const WELL_KNOWN = '.google.protobuf.';

export interface MappingOptions {
  /** Temporal's payload shorthand (default on; `?noPayloadShorthand` turns it off). */
  readonly payloadShorthand: boolean;
}

/**
 * Checks and normalizes a JSON document for `type` (field names to lowerCamelCase, shorthand
 * payloads and short enum names to their proto3 JSON form), then builds the message.
 */
export function messageFromJson(type: ReflectedType, json: Json, options: MappingOptions): object {
  const normalized = normalizeMessage(type, json, '', options);
  let message: object | null;
  try {
    message = fromProto3JSON(type as never, normalized as never) as object | null;
  } catch (e) {
    // proto3-json-serializer's own checks (a malformed Duration, Timestamp or FieldMask).
    throw new JsonMappingError((e as Error).message.replace(/^fromProto3JSON(ToInternalRepresentation)?: /, ''));
  }
  return message ?? type.fromObject({});
}

/** A decoded message as Temporal's JSON. */
export function messageToJson(message: object, type: ReflectedType, options: MappingOptions): Json {
  const json = messageToProto3Json(type, message as Record<string, unknown>);
  return options.payloadShorthand ? shortenMessage(type, json) : json;
}

// ---- input ----

function normalizeMessage(type: ReflectedType, value: Json, path: string, options: MappingOptions): Json {
  if (options.payloadShorthand && type.fullName === PAYLOAD) return payloadIn(value, path);
  if (options.payloadShorthand && type.fullName === PAYLOADS && Array.isArray(value)) {
    return { payloads: value.map((v, i) => payloadIn(v, `${path}[${i}]`)) };
  }
  // Well-known types have JSON forms of their own (strings, any value): the serializer checks them.
  if (type.fullName.startsWith(WELL_KNOWN)) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(path, 'expected a JSON object');
  const out: { [key: string]: Json } = {};
  const oneofs = new Map<string, string>();
  for (const [key, v] of Object.entries(value)) {
    const field = fieldByJsonName(type, key);
    const p = path === '' ? key : `${path}.${key}`;
    if (!field) throw bad(p, `unknown field of ${type.fullName.slice(1)}`);
    if (v === null) continue;
    if (field.partOf) {
      const other = oneofs.get(field.partOf.name);
      if (other !== undefined) throw bad(p, `only one of the oneof '${field.partOf.name}' may be set (${other} is too)`);
      oneofs.set(field.partOf.name, field.name);
    }
    if (field.map) {
      if (typeof v !== 'object' || Array.isArray(v)) throw bad(p, 'expected a JSON object (a map)');
      out[field.name] = Object.fromEntries(Object.entries(v).map(([k, e]) => [k, normalizeValue(field, e, `${p}.${k}`, options)]));
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw bad(p, 'expected a JSON array');
      out[field.name] = v.map((e, i) => normalizeValue(field, e, `${p}[${i}]`, options));
    } else {
      out[field.name] = normalizeValue(field, v, p, options);
    }
  }
  return out;
}

function normalizeValue(field: ReflectedField, value: Json, path: string, options: MappingOptions): Json {
  const type = resolvedTypeOf(field);
  if (isEnum(type)) return enumIn(type, value, path);
  if (type) return normalizeMessage(type, value, path, options);
  return scalarIn(field.type, value, path);
}

function payloadIn(value: Json, path: string): Json {
  try {
    return payloadFromShorthand(value);
  } catch (e) {
    throw bad(path, (e as Error).message);
  }
}

const INTEGER = /^-?\d+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function scalarIn(scalar: string, value: Json, path: string): Json {
  switch (scalar) {
    case 'string':
      if (typeof value !== 'string') throw bad(path, 'expected a string');
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw bad(path, 'expected true or false');
      return value;
    case 'bytes':
      if (typeof value !== 'string' || !BASE64.test(value)) throw bad(path, 'expected a base64 string');
      return value;
    case 'double':
    case 'float':
      if (typeof value === 'number' || (typeof value === 'string' && (['NaN', 'Infinity', '-Infinity'].includes(value) || Number.isFinite(Number(value))))) {
        return value;
      }
      throw bad(path, 'expected a number');
    default:
      // The integer types: a JSON number, or a decimal string (int64 values above 2^53).
      if ((typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INTEGER.test(value))) return value;
      throw bad(path, `expected an integer (${scalar})`);
  }
}

const shortNames = new WeakMap<ReflectedEnum, Map<string, string>>();

/** An enum value: its number, its name, or the old short form Temporal's JSON still accepts. */
function enumIn(type: ReflectedEnum, value: Json, path: string): Json {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    if (type.values[value] !== undefined) return value;
    const full = enumShortNames(type).get(squash(value));
    if (full !== undefined) return full;
  }
  throw bad(path, `unknown value ${JSON.stringify(value)} of enum ${type.fullName.replace(/^\./, '')}`);
}

/** WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE is known as 'allowduplicate' (the prefix is the enum's name). */
function enumShortNames(type: ReflectedEnum): Map<string, string> {
  let names = shortNames.get(type);
  if (!names) {
    names = new Map();
    const simple = type.fullName.slice(type.fullName.lastIndexOf('.') + 1);
    const prefix = `${simple.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_`;
    for (const name of Object.keys(type.values)) {
      if (name.startsWith(prefix)) names.set(squash(name.slice(prefix.length)), name);
    }
    shortNames.set(type, names);
  }
  return names;
}

const squash = (s: string): string => s.replace(/_/g, '').toLowerCase();

function bad(path: string, message: string): JsonMappingError {
  return new JsonMappingError(path === '' ? message : `${path}: ${message}`);
}

// ---- output ----

function shortenMessage(type: ReflectedType, json: Json): Json {
  const fullName = fullNameOf(type);
  if (fullName === PAYLOAD) return payloadToShorthand(json) ?? json;
  if (fullName === PAYLOADS) {
    const items = isObject(json) && Array.isArray(json['payloads']) ? json['payloads'] : [];
    const short = items.map((p) => payloadToShorthand(p));
    // All or nothing for the array form; otherwise each payload that can is still shortened.
    if (short.every((s) => s !== undefined)) return short as Json[];
    return { payloads: items.map((p, i) => short[i] ?? p) };
  }
  return walkFields(type, json, shortenMessage);
}

/** Applies `inner` to every message-typed value of `json`. */
function walkFields(type: ReflectedType, json: Json, inner: (t: ReflectedType, v: Json) => Json): Json {
  if (fullNameOf(type).startsWith(WELL_KNOWN) || !isObject(json)) return json;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key];
    const fieldType = field ? resolvedTypeOf(field) : null;
    if (!field || !fieldType || isEnum(fieldType) || value === null) {
      out[key] = value;
    } else if (field.map && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inner(fieldType, v)]));
    } else if (field.repeated && Array.isArray(value)) {
      out[key] = value.map((v) => inner(fieldType, v));
    } else {
      out[key] = inner(fieldType, value);
    }
  }
  return out;
}

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
