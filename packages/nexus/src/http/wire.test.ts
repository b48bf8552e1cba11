import { describe, expect, it } from 'vitest';
import { temporalProto } from '../proto.js';
import { contentToPayload, payloadToContent } from './content.js';
import { nexusToTemporalFailure, temporalToNexusFailure } from './failure.js';
import { formatLinks, parseLinks } from './links.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const encodingOf = (p: { metadata?: Record<string, Uint8Array> | null }): string => dec.decode(p.metadata?.['encoding'] ?? new Uint8Array());

describe('Nexus HTTP content <-> Temporal payloads (Temporal payload serializer)', () => {
  it('maps the content types both ways', () => {
    const json = contentToPayload({ header: { type: 'application/json', length: '4' }, data: enc.encode('"hi"') });
    expect(encodingOf(json)).toBe('json/plain');
    expect(payloadToContent(json)).toEqual({ header: { type: 'application/json' }, data: enc.encode('"hi"') });
    const bin = contentToPayload({ header: { type: 'application/octet-stream' }, data: new Uint8Array([1, 2]) });
    expect(encodingOf(bin)).toBe('binary/plain');
    expect(payloadToContent(bin).header).toEqual({ type: 'application/octet-stream' });
    expect(encodingOf(contentToPayload({ header: {}, data: new Uint8Array() }))).toBe('binary/null');
    const text = contentToPayload({ header: { type: 'text/plain; charset=utf-8' }, data: enc.encode('x') });
    expect(encodingOf(text)).toBe('unknown/nexus-content');
    expect(payloadToContent(text).header).toEqual({ type: 'text/plain; charset=utf-8' });
    const proto = contentToPayload({ header: { type: 'application/json; format=protobuf; message-type="a.B"' }, data: enc.encode('{}') });
    expect(encodingOf(proto)).toBe('json/protobuf');
    expect(payloadToContent(proto).header).toEqual({ type: 'application/json; format=protobuf; message-type="a.B"' });
  });

  it('a payload the content types cannot say travels whole as application/x-temporal-payload', () => {
    const p = { metadata: { encoding: enc.encode('binary/encrypted'), key: enc.encode('k1') }, data: enc.encode('secret') };
    const c = payloadToContent(p);
    expect(c.header).toEqual({ type: 'application/x-temporal-payload' });
    const back = contentToPayload(c);
    expect(encodingOf(back)).toBe('binary/encrypted');
    expect(dec.decode(back.metadata!['key'])).toBe('k1');
  });
});

describe('Nexus failures <-> Temporal failures', () => {
  it('a Temporal failure round-trips through the Nexus failure JSON', () => {
    const f = { message: 'boom', stackTrace: 'at x', applicationFailureInfo: { type: 'MyError', nonRetryable: true }, cause: { message: 'inner', canceledFailureInfo: {} } };
    const nf = JSON.parse(JSON.stringify(temporalToNexusFailure(f))) as ReturnType<typeof temporalToNexusFailure>;
    expect(nf).toMatchObject({ message: 'boom', stackTrace: 'at x', metadata: { type: 'temporal.api.failure.v1.Failure' } });
    const back = temporalProto.temporal.api.failure.v1.Failure.fromObject(nexusToTemporalFailure(nf));
    expect(back.message).toBe('boom');
    expect(back.applicationFailureInfo?.type).toBe('MyError');
    expect(back.applicationFailureInfo?.nonRetryable).toBe(true);
    expect(back.cause?.canceledFailureInfo).toBeTruthy();
  });

  it('spec-form HandlerError and plain failures', () => {
    const h = nexusToTemporalFailure({ message: 'nope', metadata: { type: 'nexus.HandlerError' }, details: { type: 'BAD_REQUEST', retryableOverride: false } });
    expect(h.nexusHandlerFailureInfo?.type).toBe('BAD_REQUEST');
    expect(h.nexusHandlerFailureInfo?.retryBehavior).toBe(temporalProto.temporal.api.enums.v1.NexusHandlerErrorRetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE);
    const plain = nexusToTemporalFailure({ message: 'plain', details: { a: 1 } });
    expect(plain).toMatchObject({ message: 'plain', applicationFailureInfo: { type: 'NexusFailure' } });
  });
});

describe('Nexus-Link headers', () => {
  it('parses and formats one or several links; refuses malformed ones', () => {
    const v = '<temporal:///namespaces/default/workflows/w/r/history?referenceType=EventReference&eventID=1>; type="temporal.api.common.v1.Link.WorkflowEvent", <https://example.com/x>; type=plain';
    const links = parseLinks(v)!;
    expect(links).toEqual([
      { url: 'temporal:///namespaces/default/workflows/w/r/history?referenceType=EventReference&eventID=1', type: 'temporal.api.common.v1.Link.WorkflowEvent' },
      { url: 'https://example.com/x', type: 'plain' },
    ]);
    expect(parseLinks(formatLinks(links))).toEqual(links);
    expect(parseLinks(undefined)).toEqual([]);
    expect(parseLinks('<not a url>; type="x"')).toBeUndefined();
    expect(parseLinks('<https://example.com>')).toBeUndefined();
    expect(parseLinks('garbage')).toBeUndefined();
  });
});
