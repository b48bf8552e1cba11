import { describe, expect, it } from 'vitest';
import { lookupType } from '../grpc/proto-root.js';
import type { ReflectedType } from './proto-reflection.js';
import { JsonMappingError, messageFromJson, messageToJson } from './temporal-json.js';

const type = (name: string): ReflectedType => lookupType(name) as unknown as ReflectedType;
const START = type('temporal.api.workflowservice.v1.StartWorkflowExecutionRequest');
const on = { payloadShorthand: true };
const off = { payloadShorthand: false };
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const text = (b: unknown): string => Buffer.from(b as Uint8Array).toString('utf8');

describe('Temporal JSON: requests', () => {
  it('takes proto3 JSON: camelCase or proto names, int64 and Duration as strings, enums by name', () => {
    const m = messageFromJson(
      START,
      { workflow_id: 'w', workflowType: { name: 't' }, workflowRunTimeout: '1.5s', workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE', priority: { priorityKey: 2 } },
      on,
    ) as Record<string, unknown>;
    expect(m).toMatchObject({ workflowId: 'w', workflowType: { name: 't' }, workflowIdReusePolicy: 3, priority: { priorityKey: 2 } });
    expect(m['workflowRunTimeout']).toMatchObject({ nanos: 500_000_000 });
  });

  it('takes payloads as plain JSON values (the shorthand), standard payloads, null and _protoMessageType', () => {
    const m = messageFromJson(
      START,
      { input: [{ a: 1 }, 'x', null, { metadata: { encoding: b64('binary/plain') }, data: b64('raw') }, { _protoMessageType: 'foo.Bar', v: 1 }] },
      on,
    ) as { input: { payloads: { metadata: Record<string, Uint8Array>; data?: Uint8Array }[] } };
    const p = m.input.payloads;
    expect(p.map((x) => text(x.metadata['encoding']))).toEqual(['json/plain', 'json/plain', 'binary/null', 'binary/plain', 'json/protobuf']);
    expect(text(p[0]?.data)).toBe('{"a":1}');
    expect(text(p[1]?.data)).toBe('"x"');
    expect(text(p[3]?.data)).toBe('raw');
    expect(text(p[4]?.metadata['messageType'])).toBe('foo.Bar');
    expect(text(p[4]?.data)).toBe('{"v":1}');
  });

  it('without the shorthand, a payload list must be the message form', () => {
    expect(() => messageFromJson(START, { input: [1] }, off)).toThrow('input: expected a JSON object');
  });

  it('accepts enum numbers and the old short names; refuses unknown fields, wrong types and unknown enum names, naming the field', () => {
    expect(messageFromJson(START, { workflowIdReusePolicy: 'AllowDuplicate' }, on)).toMatchObject({ workflowIdReusePolicy: 1 });
    expect(messageFromJson(START, { workflowIdReusePolicy: 2 }, on)).toMatchObject({ workflowIdReusePolicy: 2 });
    expect(() => messageFromJson(START, { workflowType: { nme: 'x' } }, on)).toThrow('workflowType.nme: unknown field of temporal.api.common.v1.WorkflowType');
    expect(() => messageFromJson(START, { workflowId: 5 }, on)).toThrow('workflowId: expected a string');
    expect(() => messageFromJson(START, { requestEagerExecution: 'yes' }, on)).toThrow('requestEagerExecution: expected true or false');
    expect(() => messageFromJson(START, { workflowIdReusePolicy: 'NEVER' }, on)).toThrow(/workflowIdReusePolicy: unknown value "NEVER"/);
    expect(() => messageFromJson(START, { workflowRunTimeout: 'soon' }, on)).toThrow(JsonMappingError);
    expect(() => messageFromJson(START, { searchAttributes: { indexedFields: [] } }, on)).toThrow('searchAttributes.indexedFields: expected a JSON object (a map)');
  });
});

describe('Temporal JSON: responses', () => {
  const EVENT = type('temporal.api.history.v1.HistoryEvent');
  const event = (o: Record<string, unknown>): object => EVENT.decode(EVENT.encode(EVENT.fromObject(o)).finish());

  it('writes proto3 JSON: int64 as strings, enums by name, Timestamps and Durations, no default values', () => {
    const json = messageToJson(
      event({ eventId: 7, eventTime: { seconds: 1_700_000_000, nanos: 5_000_000 }, eventType: 1, taskId: 0, workflowExecutionStartedEventAttributes: { workflowRunTimeout: { seconds: 90 } } }),
      EVENT,
      on,
    );
    expect(json).toEqual({
      eventId: '7',
      eventTime: '2023-11-14T22:13:20.005Z',
      eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      workflowExecutionStartedEventAttributes: { workflowRunTimeout: '90s' },
    });
  });

  it('shows json/plain payloads as their values, and the others (or all, with the shorthand off) in the standard form', () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":[1,2]}') };
    const binary = { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.from('raw') };
    const typed = { metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') }, data: Buffer.from('"k"') };
    const attrs = (payloads: object[]): object => event({ workflowExecutionStartedEventAttributes: { input: { payloads } } });
    const input = (j: unknown): unknown => (j as { workflowExecutionStartedEventAttributes: { input: unknown } }).workflowExecutionStartedEventAttributes.input;
    expect(input(messageToJson(attrs([plain, plain]), EVENT, on))).toEqual([{ a: [1, 2] }, { a: [1, 2] }]);
    // One without a shorthand: the message form, each payload that has one still shortened.
    expect(input(messageToJson(attrs([plain, binary, typed]), EVENT, on))).toEqual({
      payloads: [{ a: [1, 2] }, { metadata: { encoding: b64('binary/plain') }, data: b64('raw') }, { metadata: { encoding: b64('json/plain'), type: b64('Keyword') }, data: b64('"k"') }],
    });
    expect(input(messageToJson(attrs([plain]), EVENT, off))).toEqual({ payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"a":[1,2]}') }] });
  });

  it('round-trips: what it writes, it reads back', () => {
    const original = messageFromJson(START, { workflowId: 'w', input: [{ x: 1 }, null], memo: { fields: { k: 'v' } }, workflowTaskTimeout: '10s' }, on);
    const decoded = START.decode(START.encode(original).finish());
    const json = messageToJson(decoded, START, on);
    expect(json).toEqual({
      workflowId: 'w',
      input: [{ x: 1 }, { metadata: { encoding: b64('binary/null') } }],
      memo: { fields: { k: 'v' } },
      workflowTaskTimeout: '10s',
    });
    expect(messageToJson(messageFromJson(START, json, on), START, on)).toEqual(json);
  });
});
