import { lookupType } from '../grpc/proto-root.js';
import type { Json } from './payload-shorthand.js';
import { fieldsOf, fullNameOf, isEnum, resolvedTypeOf, type ReflectedField, type ReflectedType } from './proto-reflection.js';

/**
 * A decoded protobufjs message as proto3 JSON, the way protojson (and so grpc-gateway) writes
 * it with default options: lowerCamelCase names, unset and default-valued fields left out,
 * int64 as decimal strings, enums by name, bytes in base64, and the well-known types in their
 * own forms (Duration '1.5s', Timestamp RFC 3339, FieldMask, wrappers, Struct, Any with '@type').
 *
 * Written here rather than taken from proto3-json-serializer (which reads the input side):
 * its writer fails on bytes inside maps and lists, and Temporal's Payload metadata is a
 * map<string, bytes>.
 */
export function messageToProto3Json(type: ReflectedType, message: Record<string, unknown>): Json {
  const fullName = fullNameOf(type);
  switch (fullName) {
    case '.google.protobuf.Duration':
      return `${secondsWithFraction(message['seconds'], message['nanos'])}s`;
    case '.google.protobuf.Timestamp':
      return timestamp(message['seconds'], message['nanos']);
    case '.google.protobuf.FieldMask':
      return ((message['paths'] as string[] | undefined) ?? []).map((p) => p.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())).join(',');
    case '.google.protobuf.Struct':
      return structOut(message);
    case '.google.protobuf.Value':
      return valueOut(message);
    case '.google.protobuf.ListValue':
      return ((message['values'] as Record<string, unknown>[] | undefined) ?? []).map(valueOut);
    case '.google.protobuf.Any':
      return anyOut(message);
    default:
      if (WRAPPERS.has(fullName)) {
        const field = type.fields['value'];
        return field ? scalarOut(field.type, message['value'] ?? 0) : null;
      }
  }
  const out: { [key: string]: Json } = {};
  for (const field of fieldsOf(type)) {
    if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
    const value = message[field.name];
    if (value === null || value === undefined) continue;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length > 0) out[field.name] = Object.fromEntries(entries.map(([k, v]) => [k, valueOfField(field, v)]));
    } else if (field.repeated) {
      const list = value as unknown[];
      if (list.length > 0) out[field.name] = list.map((v) => valueOfField(field, v));
    } else if (field.partOf !== null || !isDefault(field, value)) {
      // A oneof member (proto3 `optional` included) that is set is shown even at its default.
      out[field.name] = valueOfField(field, value);
    }
  }
  return out;
}

function valueOfField(field: ReflectedField, value: unknown): Json {
  const type = resolvedTypeOf(field);
  if (isEnum(type)) return typeof value === 'number' ? (type.valuesById[value] ?? value) : String(value);
  if (type) return messageToProto3Json(type, value as Record<string, unknown>);
  return scalarOut(field.type, value);
}

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function scalarOut(scalar: string, value: unknown): Json {
  if (INT64.has(scalar)) return String(value as number);
  if (scalar === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if ((scalar === 'double' || scalar === 'float') && typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  return value as Json;
}

function isDefault(field: ReflectedField, value: unknown): boolean {
  const type = resolvedTypeOf(field);
  if (type && !isEnum(type)) return false;
  if (INT64.has(field.type)) return String(value as number) === '0';
  if (field.type === 'bytes') return (value as Uint8Array).length === 0;
  return value === 0 || value === '' || value === false;
}

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((n) => `.google.protobuf.${n}Value`),
);

function secondsWithFraction(seconds: unknown, nanos: unknown): string {
  const s = BigInt(String((seconds as number | undefined) ?? 0));
  const n = Number(nanos ?? 0);
  const negative = s < 0n || n < 0;
  const whole = (s < 0n ? -s : s).toString();
  return `${negative ? '-' : ''}${whole}${fraction(Math.abs(n))}`;
}

/** Nanoseconds as protojson writes them: none, or 3, 6 or 9 digits. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  if (nanos % 1_000_000 === 0) return `.${digits.slice(0, 3)}`;
  if (nanos % 1000 === 0) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

function timestamp(seconds: unknown, nanos: unknown): string {
  const ms = Number(String((seconds as number | undefined) ?? 0)) * 1000;
  const iso = new Date(ms).toISOString(); // 'YYYY-MM-DDTHH:MM:SS.000Z'
  return `${iso.slice(0, 19)}${fraction(Number(nanos ?? 0))}Z`;
}

function structOut(message: Record<string, unknown>): Json {
  const fields = (message['fields'] as Record<string, Record<string, unknown>> | undefined) ?? {};
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueOut(v)]));
}

function valueOut(v: Record<string, unknown>): Json {
  if ('numberValue' in v && Object.prototype.hasOwnProperty.call(v, 'numberValue')) return v['numberValue'] as number;
  if (Object.prototype.hasOwnProperty.call(v, 'stringValue')) return v['stringValue'] as string;
  if (Object.prototype.hasOwnProperty.call(v, 'boolValue')) return v['boolValue'] as boolean;
  if (Object.prototype.hasOwnProperty.call(v, 'structValue')) return structOut(v['structValue'] as Record<string, unknown>);
  if (Object.prototype.hasOwnProperty.call(v, 'listValue')) {
    return (((v['listValue'] as Record<string, unknown>)['values'] as Record<string, unknown>[] | undefined) ?? []).map(valueOut);
  }
  return null;
}

/** `{"@type": url, ...fields}`, or `{"@type": url, "value": …}` for a well-known type inside. */
function anyOut(message: Record<string, unknown>): Json {
  const url = String(message['type_url'] ?? message['typeUrl'] ?? '');
  const name = url.slice(url.lastIndexOf('/') + 1);
  let inner: ReflectedType;
  try {
    inner = lookupType(name) as unknown as ReflectedType;
  } catch {
    // A type this server does not know: protojson fails; show what we have rather than nothing.
    return { '@type': url, value: Buffer.from((message['value'] as Uint8Array | undefined) ?? new Uint8Array()).toString('base64') };
  }
  const decoded = inner.decode((message['value'] as Uint8Array | undefined) ?? new Uint8Array()) as Record<string, unknown>;
  const json = messageToProto3Json(inner, decoded);
  if (fullNameOf(inner).startsWith('.google.protobuf.')) return { '@type': url, value: json };
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? { '@type': url, ...json } : { '@type': url, value: json };
}
