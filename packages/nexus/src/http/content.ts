import { temporalProto, type temporal } from '../proto.js';

const PayloadMsg = temporalProto.temporal.api.common.v1.Payload;
type Payload = temporal.api.common.v1.IPayload;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** An HTTP body and its `content-*` headers (lower-cased, without the `content-` prefix: `type`, `encoding`, ...). */
export interface Content {
  readonly header: Readonly<Record<string, string>>;
  readonly data: Uint8Array;
}

function setUnknown(header: Readonly<Record<string, string>>, metadata: Record<string, Uint8Array>): void {
  for (const [k, v] of Object.entries(header)) metadata[k] = enc.encode(v);
  metadata['encoding'] = enc.encode('unknown/nexus-content');
}

interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

function parseMediaType(value: string): MediaType | undefined {
  const [type, ...rest] = value.split(';');
  if (!type?.trim().includes('/')) return undefined;
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) return undefined;
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase(), params };
}

/**
 * An HTTP body as a Temporal Payload, as Temporal's Nexus payload serializer reads it:
 * `application/json` is `json/plain`, `application/octet-stream` is `binary/plain`, an empty body
 * without a type is `binary/null`, `application/x-temporal-payload` is a whole encoded Payload, and
 * anything else is kept with its content headers as `unknown/nexus-content`.
 */
export function contentToPayload(content: Content): Payload {
  const h: Record<string, string> = { ...content.header };
  delete h['encoding'];
  delete h['length'];
  const metadata: Record<string, Uint8Array> = {};
  const payload = { metadata, data: content.data };
  const type = h['type'];
  if (Object.keys(h).length > 1 || type === undefined) {
    if (Object.keys(h).length === 0 && content.data.length === 0) metadata['encoding'] = enc.encode('binary/null');
    else setUnknown(h, metadata);
    return payload;
  }
  const media = parseMediaType(type);
  const nParams = media ? Object.keys(media.params).length : 0;
  switch (media?.type) {
    case 'application/x-temporal-payload':
      return PayloadMsg.toObject(PayloadMsg.decode(content.data)) as Payload;
    case 'application/json':
      if (nParams === 0) metadata['encoding'] = enc.encode('json/plain');
      else if (nParams === 2 && media.params['format'] === 'protobuf' && media.params['message-type']) {
        metadata['encoding'] = enc.encode('json/protobuf');
        metadata['messageType'] = enc.encode(media.params['message-type']);
      } else setUnknown(h, metadata);
      return payload;
    case 'application/x-protobuf':
      if (nParams === 1 && media.params['message-type']) {
        metadata['encoding'] = enc.encode('binary/protobuf');
        metadata['messageType'] = enc.encode(media.params['message-type']);
      } else setUnknown(h, metadata);
      return payload;
    case 'application/octet-stream':
      if (nParams === 0) metadata['encoding'] = enc.encode('binary/plain');
      else setUnknown(h, metadata);
      return payload;
    default:
      setUnknown(h, metadata);
      return payload;
  }
}

function xTemporalPayload(p: Payload): Content {
  return { header: { type: 'application/x-temporal-payload' }, data: PayloadMsg.encode(PayloadMsg.fromObject(p)).finish() };
}

/** A Temporal Payload as an HTTP body (the inverse of `contentToPayload`); null is an empty body. */
export function payloadToContent(p: Payload | null | undefined): Content {
  if (!p) return { header: {}, data: new Uint8Array() };
  const metadata = p.metadata ?? {};
  const data = p.data ?? new Uint8Array();
  const text = (k: string): string | undefined => (metadata[k] ? dec.decode(metadata[k]) : undefined);
  const keys = Object.keys(metadata).length;
  const encoding = text('encoding');
  const messageType = text('messageType');
  switch (encoding) {
    case 'unknown/nexus-content': {
      const header: Record<string, string> = {};
      for (const k of Object.keys(metadata)) if (k !== 'encoding') header[k] = text(k) ?? '';
      return { header, data };
    }
    case 'json/protobuf':
      return keys === 2 && messageType ? { header: { type: `application/json; format=protobuf; message-type="${messageType}"` }, data } : xTemporalPayload(p);
    case 'binary/protobuf':
      return keys === 2 && messageType ? { header: { type: `application/x-protobuf; message-type="${messageType}"` }, data } : xTemporalPayload(p);
    case 'json/plain':
      return { header: { type: 'application/json' }, data };
    case 'binary/null':
      return keys === 1 ? { header: {}, data } : xTemporalPayload(p);
    case 'binary/plain':
      return keys === 1 ? { header: { type: 'application/octet-stream' }, data } : xTemporalPayload(p);
    default:
      return xTemporalPayload(p);
  }
}

/** The `content-*` headers of a request or response, prefix stripped (`content-type` → `type`). */
export function contentHeaderOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.startsWith('content-')) out[k.slice('content-'.length)] = v;
  return out;
}

/** HTTP headers for a content's header (`type` → `content-type`), without `length`. */
export function httpHeadersOf(content: Content): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(content.header)) if (k !== 'length') out[`content-${k}`] = v;
  return out;
}
