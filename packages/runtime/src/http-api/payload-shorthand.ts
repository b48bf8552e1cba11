/**
 * Temporal's payload "shorthand" for its HTTP API (the proposal's "payload formatting", and
 * api-go's payload JSON hooks): a Payload whose only metadata is `encoding: json/plain` is shown
 * as its JSON value, `json/protobuf` with a `messageType` as the object plus
 * `_protoMessageType`, and a Payloads whose payloads all have a shorthand as a JSON array.
 * On input any JSON value is a payload: `null` is binary/null, an object that is exactly a
 * standard payload (`metadata.encoding` and base64 `data`) is taken as one, an object with
 * `_protoMessageType` is json/protobuf, anything else json/plain. `?noPayloadShorthand` turns
 * it off both ways.
 *
 * Both functions work on proto3 JSON (metadata values and data in base64).
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MESSAGE_TYPE_KEY = '_protoMessageType';
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string): Buffer => Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');

export const BINARY_NULL: Json = { metadata: { encoding: b64('binary/null') } };

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON value given where a Payload goes, as a standard proto3 JSON payload. */
export function payloadFromShorthand(value: Json): Json {
  if (value === null) return BINARY_NULL;
  if (isObject(value)) {
    if (isStandardPayload(value)) return value;
    const messageType = value[MESSAGE_TYPE_KEY];
    if (messageType !== undefined) {
      if (typeof messageType !== 'string') throw new TypeError(`${MESSAGE_TYPE_KEY} must be a string`);
      const { [MESSAGE_TYPE_KEY]: _, ...rest } = value;
      return { metadata: { encoding: b64('json/protobuf'), messageType: b64(messageType) }, data: b64(JSON.stringify(rest)) };
    }
  }
  return { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) };
}

function isStandardPayload(value: { [key: string]: Json }): boolean {
  const metadata = value['metadata'];
  if (!isObject(metadata) || typeof metadata['encoding'] !== 'string') return false;
  if (!Object.values(metadata).every((v) => typeof v === 'string' && BASE64.test(v))) return false;
  const keys = Object.keys(value);
  if (keys.length === 1) return metadata['encoding'] === b64('binary/null');
  const data = value['data'];
  return keys.length === 2 && typeof data === 'string' && BASE64.test(data);
}

/**
 * A proto3 JSON payload as its shorthand, or undefined when it has none (other encodings,
 * extra metadata, data that is not JSON): such a payload is shown in the standard form.
 */
export function payloadToShorthand(payload: Json): Json | undefined {
  if (!isObject(payload) || !isObject(payload['metadata'])) return undefined;
  const metadata = Object.fromEntries(Object.entries(payload['metadata']).map(([k, v]) => [k, typeof v === 'string' ? unb64(v).toString('utf8') : '']));
  const data = typeof payload['data'] === 'string' ? unb64(payload['data']).toString('utf8') : '';
  const count = Object.keys(metadata).length;
  try {
    switch (metadata['encoding']) {
      case 'binary/null':
        // As api-go does: the explicit binary/null payload, not a JSON null (which reads back as one).
        return BINARY_NULL;
      case 'json/plain':
        return count === 1 ? (JSON.parse(data) as Json) : undefined;
      case 'json/protobuf': {
        const messageType = metadata['messageType'];
        if (!messageType || count !== 2) return undefined;
        const value = JSON.parse(data) as Json;
        return isObject(value) ? { ...value, [MESSAGE_TYPE_KEY]: messageType } : undefined;
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
